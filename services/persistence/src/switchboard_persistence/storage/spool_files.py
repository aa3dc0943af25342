"""The spool's files on disk: one write per file, whole or absent.

A spooled file is one line of JSON (``{"mime", "size"}`` or ``{"deleted": true}``)
then the bytes, written to a temporary file and renamed into place. Temporary
files start with a dot, which no key segment may contain, so a scan tells them
apart from spooled objects.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from switchboard_persistence.storage.base import CHUNK_SIZE, InvalidObjectKey, check_key

__all__ = (
    "TMP_PREFIX",
    "SpoolHeader",
    "open_spooled",
    "probe_spool",
    "scan_spool",
    "unlink_quietly",
    "write_spooled",
)

logger = logging.getLogger(__name__)

# Temporary files start with a dot, which no key segment may contain.
TMP_PREFIX = ".spool-"
_HEADER_MAX = 4096


@dataclass(frozen=True, slots=True)
class SpoolHeader:
    """The first line of a spooled file: the object's type and size, or a tombstone."""

    mime: str = "application/octet-stream"
    size: int = 0
    deleted: bool = False

    def encode(self) -> bytes:
        body: dict[str, Any] = (
            {"deleted": True} if self.deleted else {"mime": self.mime, "size": self.size}
        )
        return json.dumps(body, separators=(",", ":")).encode() + b"\n"

    @classmethod
    def decode(cls, line: bytes) -> SpoolHeader:
        if not line.endswith(b"\n"):
            raise ValueError("spooled object without a header line")
        raw = json.loads(line)
        if not isinstance(raw, dict):
            raise ValueError("spooled object header is not an object")
        if raw.get("deleted") is True:
            return cls(deleted=True)
        mime, size = raw.get("mime"), raw.get("size")
        if not isinstance(mime, str) or not isinstance(size, int) or size < 0:
            raise ValueError(f"bad spooled object header {raw!r}")
        return cls(mime=mime, size=size)


def write_spooled(path: Path, header: bytes, data: IO[bytes] | None) -> int:
    """Write the header and the data beside ``path``, sync, rename into place; bytes written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=TMP_PREFIX)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(header)
            if data is not None:
                shutil.copyfileobj(data, out, CHUNK_SIZE)
            out.flush()
            os.fsync(out.fileno())
            written = out.tell()
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return written


def open_spooled(path: Path) -> tuple[SpoolHeader, IO[bytes]]:
    """The spooled file's header, and its handle positioned at the first byte of the object."""
    handle = path.open("rb")
    try:
        header = SpoolHeader.decode(handle.readline(_HEADER_MAX))
    except BaseException:
        handle.close()
        raise
    return header, handle


def unlink_quietly(path: Path) -> None:
    """Remove ``path`` if it is there."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def scan_spool(root: Path) -> list[tuple[str, int, bool]]:
    """Spooled objects (key, bytes, tombstone), oldest first.

    Stale temporary files and empty folders are removed; unreadable files are left alone.
    """
    root.mkdir(parents=True, exist_ok=True)
    found: list[tuple[float, str, int, bool]] = []
    for folder, dirs, files in os.walk(root, topdown=False):
        here = Path(folder)
        for name in files:
            path = here / name
            if name.startswith(TMP_PREFIX):
                unlink_quietly(path)  # a write cut short by a crash
                continue
            key = path.relative_to(root).as_posix()
            try:
                check_key(key)
                header, handle = open_spooled(path)
                handle.close()
                stat = path.stat()
            except (InvalidObjectKey, ValueError, OSError) as exc:
                logger.error(
                    "ignoring a file in the object storage spool",
                    extra={"path": str(path), "error": f"{type(exc).__name__}: {exc}"},
                )
                continue
            found.append((stat.st_mtime, key, stat.st_size, header.deleted))
        if here != root and not dirs and not files:
            with contextlib.suppress(OSError):
                here.rmdir()
    found.sort()
    return [(key, nbytes, deleted) for _, key, nbytes, deleted in found]


def probe_spool(root: Path) -> None:
    """Raise unless a file can be written in the spool folder."""
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile(dir=root, prefix=TMP_PREFIX) as probe:
        probe.write(b"ok")
        probe.flush()
