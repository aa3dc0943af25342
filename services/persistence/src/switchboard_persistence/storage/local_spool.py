"""The spool folder as a bounded set of writes waiting for the primary store.

Knows what it holds (one spooled write per key, in the order written) and how
many bytes that takes, refuses a write past ``max_bytes`` (tombstones always
fit), and gives one writer per key at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from switchboard_persistence.errors import StorageUnavailable
from switchboard_persistence.metrics import SPOOL_BYTES, SPOOL_OBJECTS
from switchboard_persistence.storage.local import object_path
from switchboard_persistence.storage.spool_files import (
    SpoolHeader,
    probe_spool,
    scan_spool,
    unlink_quietly,
    write_spooled,
)

__all__ = ("LocalSpool", "SpooledItem")

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SpooledItem:
    """What the spool holds for one key: bytes on disk, and the order it was written in."""

    nbytes: int
    deleted: bool
    seq: int


@dataclass(slots=True)
class _KeyLock:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class LocalSpool:
    """Spooled writes under ``root``, at most ``max_bytes`` of them."""

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root.resolve()
        self.max_bytes = max_bytes
        self._items: dict[str, SpooledItem] = {}
        self._bytes = 0
        self._reserved = 0
        self._seq = itertools.count()
        self._locks: dict[str, _KeyLock] = {}

    # --- what it holds ---------------------------------------------------------

    @property
    def objects(self) -> int:
        return len(self._items)

    @property
    def nbytes(self) -> int:
        return self._bytes

    @property
    def full(self) -> bool:
        return self._bytes >= self.max_bytes

    def get(self, key: str) -> SpooledItem | None:
        return self._items.get(key)

    def holds(self, key: str) -> bool:
        return key in self._items

    def oldest_first(self) -> list[str]:
        """The spooled keys in the order they were written."""
        return sorted(self._items, key=lambda k: self._items[k].seq)

    def path(self, key: str) -> Path:
        return object_path(self.root, key)

    def _set(self, key: str, item: SpooledItem | None) -> None:
        old = self._items.pop(key, None)
        if old is not None:
            self._bytes -= old.nbytes
        if item is not None:
            self._items[key] = item
            self._bytes += item.nbytes
        SPOOL_OBJECTS.set(len(self._items))
        SPOOL_BYTES.set(self._bytes)

    def forget(self, key: str) -> None:
        """Stop counting ``key``'s spooled write (its file is gone or set aside)."""
        self._set(key, None)

    @contextlib.asynccontextmanager
    async def locked(self, key: str) -> AsyncIterator[None]:
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

    # --- the folder ------------------------------------------------------------

    async def recover(self) -> None:
        """Take up what an earlier run left spooled."""
        try:
            found = await asyncio.to_thread(scan_spool, self.root)
        except OSError:
            # A read-only filesystem: run without the spool (uploads during an outage get 503).
            logger.exception(
                "object storage spool folder unusable; uploads fail while S3 is away",
                extra={"spool_dir": str(self.root)},
            )
            found = []
        for key, nbytes, deleted in found:
            self._set(key, SpooledItem(nbytes, deleted, next(self._seq)))
        if found:
            logger.info(
                "object storage spool holds writes from an earlier run",
                extra={"spooled": len(found), "spool_bytes": self._bytes},
            )

    async def probe(self) -> None:
        """Raise unless the spool folder can be written."""
        await asyncio.to_thread(probe_spool, self.root)

    def full_message(self) -> str:
        return (
            "Object storage is unreachable and the local upload spool is full "
            f"(limit {self.max_bytes} bytes); try again later"
        )

    async def write(
        self, key: str, path: Path, header: SpoolHeader, data: IO[bytes] | None
    ) -> None:
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
            raise StorageUnavailable(self.full_message())
        self._reserved += need
        try:
            written = await asyncio.to_thread(write_spooled, path, line, data)
        except OSError as exc:
            logger.exception("could not write to the object storage spool")
            raise StorageUnavailable(
                "Object storage is unreachable and the local upload spool cannot be written"
            ) from exc
        finally:
            self._reserved -= need
        self._set(key, SpooledItem(written, header.deleted, next(self._seq)))

    async def discard(self, key: str, path: Path) -> None:
        """Drop the spooled copy (caller holds the key's lock): the primary is up to date."""
        if key in self._items:
            await asyncio.to_thread(unlink_quietly, path)
            self._set(key, None)
