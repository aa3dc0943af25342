"""Write-behind in front of object storage: writes it cannot take wait on local disk.

``put`` and ``delete`` go to the primary store. When it is unreachable (the
``unavailable`` predicate says which errors mean that: no connection, a 5xx;
never a refusal of the request itself), the object, or a tombstone for a
delete, is written to the spool folder instead and the call succeeds. While the
primary is known to be down, writes go straight to the spool.

A background task (``start`` / ``close``) uploads the spool with capped
exponential backoff, oldest write first, removing each spooled copy once the
primary has it; each reconnect calls the primary's ``start`` first, so a
bucket lost with its server is created again. Outage and recovery are logged
once each way. Reads look in the spool first, then in the primary.

A spooled file is one line of JSON (``{"mime", "size"}`` or ``{"deleted": true}``)
then the bytes, written to a temporary file and renamed into place, so it is
whole or absent. Keys are checked as the local backend does. The spool is
bounded: past ``max_bytes`` a write the primary cannot take is refused
(:class:`StorageUnavailable`, 503) rather than filling the disk. Spooled
copies survive a restart. One spool folder per process.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from switchboard_persistence.errors import StorageUnavailable
from switchboard_persistence.metrics import SPOOL_BYTES, SPOOL_OBJECTS, STORAGE_UP
from switchboard_persistence.storage.base import (
    CHUNK_SIZE,
    InvalidObjectKey,
    ObjectNotFound,
    ObjectStorage,
    check_key,
)
from switchboard_persistence.storage.local import file_chunks, object_path

__all__ = ("PROBE_KEY", "SpoolingStorage")

logger = logging.getLogger(__name__)

# The key readiness asks the primary about (whether it exists does not matter).
PROBE_KEY = "readiness/probe"
# Temporary files start with a dot, which no key segment may contain.
_TMP_PREFIX = ".spool-"
_HEADER_MAX = 4096


def _os_errors(exc: BaseException) -> bool:
    return isinstance(exc, OSError)


@dataclass(frozen=True, slots=True)
class _Header:
    mime: str = "application/octet-stream"
    size: int = 0
    deleted: bool = False

    def encode(self) -> bytes:
        body: dict[str, Any] = (
            {"deleted": True} if self.deleted else {"mime": self.mime, "size": self.size}
        )
        return json.dumps(body, separators=(",", ":")).encode() + b"\n"

    @classmethod
    def decode(cls, line: bytes) -> _Header:
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


@dataclass(frozen=True, slots=True)
class _Item:
    """What the spool holds for one key: bytes on disk, and the order it was written in."""

    nbytes: int
    deleted: bool
    seq: int


@dataclass(slots=True)
class _KeyLock:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


def _write(path: Path, header: bytes, data: IO[bytes] | None) -> int:
    """Write the header and the data beside ``path``, sync, rename into place; bytes written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=_TMP_PREFIX)
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


def _open(path: Path) -> tuple[_Header, IO[bytes]]:
    """The spooled file's header, and its handle positioned at the first byte of the object."""
    handle = path.open("rb")
    try:
        header = _Header.decode(handle.readline(_HEADER_MAX))
    except BaseException:
        handle.close()
        raise
    return header, handle


def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


class SpoolingStorage:
    """An :class:`ObjectStorage` that keeps working while its primary store is away."""

    def __init__(
        self,
        primary: ObjectStorage,
        root: Path,
        *,
        max_bytes: int,
        unavailable: Callable[[BaseException], bool] = _os_errors,
        retry_initial: float = 0.5,
        retry_max: float = 10.0,
    ) -> None:
        self.primary = primary
        self.root = root.resolve()
        self.max_bytes = max_bytes
        self._unavailable = unavailable
        self._retry_initial = retry_initial
        self._retry_max = max(retry_max, retry_initial)
        self._items: dict[str, _Item] = {}
        self._bytes = 0
        self._reserved = 0
        self._seq = itertools.count()
        self._locks: dict[str, _KeyLock] = {}
        self._down_since: float | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # --- state ----------------------------------------------------------------

    @property
    def degraded(self) -> bool:
        """Whether the primary is known to be unreachable (writes go to the spool)."""
        return self._down_since is not None

    @property
    def spooled_objects(self) -> int:
        return len(self._items)

    @property
    def spooled_bytes(self) -> int:
        return self._bytes

    def _set(self, key: str, item: _Item | None) -> None:
        old = self._items.pop(key, None)
        if old is not None:
            self._bytes -= old.nbytes
        if item is not None:
            self._items[key] = item
            self._bytes += item.nbytes
        SPOOL_OBJECTS.set(len(self._items))
        SPOOL_BYTES.set(self._bytes)

    def _mark_down(self, exc: BaseException) -> None:
        if self._down_since is not None:
            return
        self._down_since = time.monotonic()
        STORAGE_UP.set(0)
        logger.warning(
            "object storage unavailable; writes go to the local spool",
            extra={"error": f"{type(exc).__name__}: {exc}", "spool_dir": str(self.root)},
        )
        self._wake.set()

    def _mark_up(self) -> None:
        STORAGE_UP.set(1)
        if self._down_since is None:
            return
        down_s = time.monotonic() - self._down_since
        self._down_since = None
        logger.info(
            "object storage available again",
            extra={"down_s": round(down_s, 3), "spooled": len(self._items)},
        )

    @contextlib.asynccontextmanager
    async def _locked(self, key: str) -> AsyncIterator[None]:
        """One writer per key at a time, so an older spooled copy never lands over a newer one."""
        entry = self._locks.get(key)
        if entry is None:
            entry = self._locks[key] = _KeyLock()
        entry.users += 1
        try:
            async with entry.lock:
                yield
        finally:
            entry.users -= 1
            if entry.users == 0:
                del self._locks[key]

    def _path(self, key: str) -> Path:
        return object_path(self.root, key)

    # --- lifecycle ------------------------------------------------------------

    async def start(self) -> None:
        """Take up what an earlier run left spooled, prepare the primary, start uploading."""
        try:
            found = await asyncio.to_thread(self._scan)
        except OSError:
            # A read-only filesystem: run without the spool (uploads during an outage get 503).
            logger.exception(
                "object storage spool folder unusable; uploads fail while S3 is away",
                extra={"spool_dir": str(self.root)},
            )
            found = []
        for key, nbytes, deleted in found:
            self._set(key, _Item(nbytes, deleted, next(self._seq)))
        if found:
            logger.info(
                "object storage spool holds writes from an earlier run",
                extra={"spooled": len(found), "spool_bytes": self._bytes},
            )
        try:
            await self.primary.start()
        except Exception as exc:
            if not self._unavailable(exc):
                raise
            self._mark_down(exc)
        else:
            STORAGE_UP.set(1)
        self._task = asyncio.create_task(self._drain_loop(), name="storage-spool")

    def _scan(self) -> list[tuple[str, int, bool]]:
        """Spooled objects, oldest first; stale temporary files and empty folders removed."""
        self.root.mkdir(parents=True, exist_ok=True)
        found: list[tuple[float, str, int, bool]] = []
        for folder, dirs, files in os.walk(self.root, topdown=False):
            here = Path(folder)
            for name in files:
                path = here / name
                if name.startswith(_TMP_PREFIX):
                    _unlink(path)  # a write cut short by a crash
                    continue
                key = path.relative_to(self.root).as_posix()
                try:
                    check_key(key)
                    header, handle = _open(path)
                    handle.close()
                    stat = path.stat()
                except (InvalidObjectKey, ValueError, OSError) as exc:
                    logger.error(
                        "ignoring a file in the object storage spool",
                        extra={"path": str(path), "error": f"{type(exc).__name__}: {exc}"},
                    )
                    continue
                found.append((stat.st_mtime, key, stat.st_size, header.deleted))
            if here != self.root and not dirs and not files:
                with contextlib.suppress(OSError):
                    here.rmdir()
        found.sort()
        return [(key, nbytes, deleted) for _, key, nbytes, deleted in found]

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.primary.close()

    # --- the store ------------------------------------------------------------

    async def put(self, key: str, data: IO[bytes], size: int, mime: str) -> None:
        path = self._path(key)
        async with self._locked(key):
            if self._down_since is None:
                start = data.tell()
                try:
                    await self.primary.put(key, data, size, mime)
                except Exception as exc:
                    if not self._unavailable(exc):
                        raise
                    self._mark_down(exc)
                    data.seek(start)
                else:
                    await self._discard(key, path)
                    return
            await self._spool(key, path, _Header(mime=mime, size=size), data)

    async def delete(self, key: str) -> None:
        path = self._path(key)
        async with self._locked(key):
            if self._down_since is None:
                try:
                    await self.primary.delete(key)
                except Exception as exc:
                    if not self._unavailable(exc):
                        raise
                    self._mark_down(exc)
                else:
                    await self._discard(key, path)
                    return
            # The primary may hold an older copy: a tombstone deletes it there later.
            await self._spool(key, path, _Header(deleted=True), None)

    async def open(self, key: str) -> AsyncIterator[bytes]:
        path = self._path(key)
        if key in self._items:
            try:
                header, handle = await asyncio.to_thread(_open, path)
            except FileNotFoundError:
                pass  # uploaded and removed meanwhile: the primary has it
            else:
                if header.deleted:
                    handle.close()
                    raise ObjectNotFound(key)
                return file_chunks(handle)
        return await self.primary.open(key)

    async def exists(self, key: str) -> bool:
        self._path(key)
        item = self._items.get(key)
        if item is not None:
            return not item.deleted
        return await self.primary.exists(key)

    async def ready(self) -> None:
        """Raises unless the primary answers or, while it is away, the spool can take writes."""
        if self._down_since is None:
            try:
                await self.primary.exists(PROBE_KEY)
            except Exception as exc:
                if not self._unavailable(exc):
                    raise
                self._mark_down(exc)
            else:
                return
        if self._bytes >= self.max_bytes:
            raise StorageUnavailable(self._full_message())
        await asyncio.to_thread(self._probe_spool)

    def _probe_spool(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=self.root, prefix=_TMP_PREFIX) as probe:
            probe.write(b"ok")
            probe.flush()

    def _full_message(self) -> str:
        return (
            "Object storage is unreachable and the local upload spool is full "
            f"(limit {self.max_bytes} bytes); try again later"
        )

    async def _spool(self, key: str, path: Path, header: _Header, data: IO[bytes] | None) -> None:
        """Write to the spool (caller holds the key's lock); bounded unless it is a tombstone."""
        line = header.encode()
        need = len(line) + header.size
        previous = self._items.get(key)
        freed = previous.nbytes if previous is not None else 0
        if not header.deleted and self._bytes + self._reserved + need - freed > self.max_bytes:
            logger.warning(
                "object storage spool full; upload refused",
                extra={"object_key": key, "size": header.size, "spool_bytes": self._bytes},
            )
            raise StorageUnavailable(self._full_message())
        self._reserved += need
        try:
            written = await asyncio.to_thread(_write, path, line, data)
        except OSError as exc:
            logger.exception("could not write to the object storage spool")
            raise StorageUnavailable(
                "Object storage is unreachable and the local upload spool cannot be written"
            ) from exc
        finally:
            self._reserved -= need
        self._set(key, _Item(written, header.deleted, next(self._seq)))

    async def _discard(self, key: str, path: Path) -> None:
        """Drop the spooled copy (caller holds the key's lock): the primary is up to date."""
        if key in self._items:
            await asyncio.to_thread(_unlink, path)
            self._set(key, None)

    # --- the uploader ---------------------------------------------------------

    async def _drain_loop(self) -> None:
        delay = self._retry_initial
        while True:
            if self._down_since is None and not self._items:
                self._wake.clear()
                await self._wake.wait()  # set when an outage begins
                delay = self._retry_initial
            await asyncio.sleep(delay)
            try:
                done = await self._drain()
            except Exception:  # never let the uploader die; the next pass tries again
                logger.exception("object storage spool: upload pass failed")
                done = False
            delay = self._retry_initial if done else min(delay * 2, self._retry_max)

    async def _drain(self) -> bool:
        """One pass over the spool; True when it ends empty with the primary reachable."""
        try:
            if self._down_since is not None:
                await self.primary.start()  # the probe; recreates a bucket lost with its server
            self._mark_up()
            ok = True
            for key in sorted(self._items, key=lambda k: self._items[k].seq):
                ok = await self._upload(key) and ok
        except Exception as exc:
            if not self._unavailable(exc):
                raise
            self._mark_down(exc)
            return False
        return ok and not self._items

    async def _upload(self, key: str) -> bool:
        """Apply one spooled write to the primary; outages propagate, other failures return False."""
        async with self._locked(key):
            if key not in self._items:
                return True  # replaced by a direct write meanwhile
            path = self._path(key)
            try:
                header, handle = await asyncio.to_thread(_open, path)
            except FileNotFoundError:
                self._set(key, None)
                return True
            except (OSError, ValueError) as exc:
                logger.error(
                    "unreadable file in the object storage spool; set aside",
                    extra={"object_key": key, "error": f"{type(exc).__name__}: {exc}"},
                )
                with contextlib.suppress(OSError):
                    await asyncio.to_thread(os.replace, path, path.with_name(path.name + ".bad"))
                self._set(key, None)
                return False
            try:
                if header.deleted:
                    await self.primary.delete(key)
                else:
                    await self.primary.put(key, handle, header.size, header.mime)
            except Exception as exc:
                if self._unavailable(exc):
                    raise
                logger.warning(
                    "object storage refused a spooled write; kept for the next pass",
                    extra={"object_key": key, "error": f"{type(exc).__name__}: {exc}"},
                )
                return False
            finally:
                handle.close()
            await self._discard(key, path)
            return True
