"""What the service needs from object storage, and how object keys are spelled.

Keys are built here from ids the API has validated, and every backend checks
them again, so no caller-supplied text can point outside the store.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import IO, Protocol

__all__ = (
    "CHUNK_SIZE",
    "ID_PATTERN",
    "OPTIONAL_ID_PATTERN",
    "InvalidObjectKey",
    "ObjectNotFound",
    "ObjectStorage",
    "check_key",
    "file_key",
)

# Read granularity when streaming an object out.
CHUNK_SIZE = 64 * 1024

# Ids that may appear in an object key: uuids and similar tokens, never ``.`` or ``/``.
ID_PATTERN = r"^[A-Za-z0-9_-]{1,128}$"
OPTIONAL_ID_PATTERN = r"^[A-Za-z0-9_-]{0,128}$"
_ID = re.compile(ID_PATTERN)
_KEY = re.compile(r"^[A-Za-z0-9_-]{1,128}(/[A-Za-z0-9_-]{1,128}){1,7}$")


class ObjectNotFound(LookupError):
    """The object is not in storage (never written, or deleted)."""


class InvalidObjectKey(ValueError):
    """A key that is not one of ours: refused before any storage call."""


def check_key(key: str) -> str:
    """The key itself when it is well formed: segments of id characters, no traversal."""
    if not _KEY.fullmatch(key):
        raise InvalidObjectKey(f"invalid object key {key!r}")
    return key


def file_key(file_id: str, *, thread_id: str | None, session_id: str | None) -> str:
    """``threads/{threadId}/files/{fileId}``, or by session while the thread does not exist."""
    if thread_id:
        owner = f"threads/{thread_id}"
    elif session_id:
        owner = f"sessions/{session_id}"
    else:
        raise InvalidObjectKey("a file needs a thread or a session")
    for part in (file_id, thread_id or session_id or ""):
        if not _ID.fullmatch(part):
            raise InvalidObjectKey(f"invalid id {part!r}")
    return check_key(f"{owner}/files/{file_id}")


class ObjectStorage(Protocol):
    """An async object store; keys come from :func:`file_key`."""

    async def start(self) -> None:
        """Prepare the store (folder, bucket); called once at service start."""

    async def put(self, key: str, data: IO[bytes], size: int, mime: str) -> None:
        """Store ``size`` bytes read from ``data`` under ``key``, replacing any object there."""

    async def open(self, key: str) -> AsyncIterator[bytes]:
        """The object's bytes in chunks; raises :class:`ObjectNotFound` before the first one."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the object; a missing object is not an error."""

    async def exists(self, key: str) -> bool:
        """Whether an object is stored under ``key``."""
        ...

    async def close(self) -> None:
        """Release connections and threads."""
