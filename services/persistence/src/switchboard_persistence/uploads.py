"""Receive a request body as it streams in, without holding a large file in memory.

Up to 1 MiB stays in memory, the rest spills to a temporary file; the size
limit is enforced chunk by chunk so an oversized upload is cut off early.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
from dataclasses import dataclass

from starlette.requests import Request

from switchboard_persistence.errors import FileTooLarge

__all__ = ("SPOOL_MEMORY_BYTES", "Upload", "mime_of", "receive")

SPOOL_MEMORY_BYTES = 1024 * 1024
_MIME = re.compile(
    r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$"
)
DEFAULT_MIME = "application/octet-stream"


@dataclass(slots=True)
class Upload:
    """A received body, rewound, and its size; close it when done."""

    data: tempfile.SpooledTemporaryFile[bytes]
    size: int

    def close(self) -> None:
        self.data.close()


def mime_of(content_type: str | None) -> str:
    """The bare MIME type of a ``Content-Type`` header (parameters dropped), or a safe default."""
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    return mime if _MIME.fullmatch(mime) else DEFAULT_MIME


async def receive(request: Request, limit: int) -> Upload:
    """The whole body, or :class:`FileTooLarge` as soon as it passes ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise FileTooLarge(limit)
    # Handed to the caller inside an Upload, which closes it.
    spool: tempfile.SpooledTemporaryFile[bytes] = tempfile.SpooledTemporaryFile(  # noqa: SIM115
        max_size=SPOOL_MEMORY_BYTES
    )
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise FileTooLarge(limit)
            if size > SPOOL_MEMORY_BYTES:
                await asyncio.to_thread(spool.write, chunk)  # on disk by now
            else:
                spool.write(chunk)
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    return Upload(spool, size)
