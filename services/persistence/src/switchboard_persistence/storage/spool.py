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

Spooled files are whole or absent (see :mod:`.spool_files`). Keys are checked
as the local backend does. The spool is bounded (see :mod:`.local_spool`):
past ``max_bytes`` a write the primary cannot take is refused
(:class:`StorageUnavailable`, 503) rather than filling the disk. Spooled
copies survive a restart. One spool folder per process. The uploader is
:mod:`.spool_uploader`; up or down is :mod:`.primary_health`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import IO

from switchboard_persistence.errors import StorageUnavailable
from switchboard_persistence.metrics import STORAGE_UP
from switchboard_persistence.storage.base import ObjectNotFound, ObjectStorage
from switchboard_persistence.storage.local import file_chunks
from switchboard_persistence.storage.local_spool import LocalSpool
from switchboard_persistence.storage.primary_health import PrimaryHealth
from switchboard_persistence.storage.spool_files import SpoolHeader, open_spooled
from switchboard_persistence.storage.spool_uploader import SpoolUploader

__all__ = ("PROBE_KEY", "SpoolingStorage")

# The key readiness asks the primary about (whether it exists does not matter).
PROBE_KEY = "readiness/probe"


def _os_errors(exc: BaseException) -> bool:
    return isinstance(exc, OSError)


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
        self.spool = LocalSpool(root, max_bytes)
        self.health = PrimaryHealth(self.spool)
        self._unavailable = unavailable
        self._uploader = SpoolUploader(
            primary,
            self.spool,
            self.health,
            unavailable=unavailable,
            retry_initial=retry_initial,
            retry_max=retry_max,
        )

    # --- state ----------------------------------------------------------------

    @property
    def root(self) -> Path:
        return self.spool.root

    @property
    def max_bytes(self) -> int:
        return self.spool.max_bytes

    @property
    def degraded(self) -> bool:
        """Whether the primary is known to be unreachable (writes go to the spool)."""
        return self.health.degraded

    @property
    def spooled_objects(self) -> int:
        return self.spool.objects

    @property
    def spooled_bytes(self) -> int:
        return self.spool.nbytes

    # --- lifecycle ------------------------------------------------------------

    async def start(self) -> None:
        """Take up what an earlier run left spooled, prepare the primary, start uploading."""
        await self.spool.recover()
        try:
            await self.primary.start()
        except Exception as exc:
            if not self._unavailable(exc):
                raise
            self.health.mark_down(exc)
        else:
            STORAGE_UP.set(1)
        self._uploader.start()

    async def close(self) -> None:
        await self._uploader.stop()
        await self.primary.close()

    # --- the store ------------------------------------------------------------

    async def put(self, key: str, data: IO[bytes], size: int, mime: str) -> None:
        path = self.spool.path(key)
        async with self.spool.locked(key):
            if not self.health.degraded:
                start = data.tell()
                try:
                    await self.primary.put(key, data, size, mime)
                except Exception as exc:
                    if not self._unavailable(exc):
                        raise
                    self.health.mark_down(exc)
                    data.seek(start)
                else:
                    await self.spool.discard(key, path)
                    return
            await self.spool.write(key, path, SpoolHeader(mime=mime, size=size), data)

    async def delete(self, key: str) -> None:
        path = self.spool.path(key)
        async with self.spool.locked(key):
            if not self.health.degraded:
                try:
                    await self.primary.delete(key)
                except Exception as exc:
                    if not self._unavailable(exc):
                        raise
                    self.health.mark_down(exc)
                else:
                    await self.spool.discard(key, path)
                    return
            # The primary may hold an older copy: a tombstone deletes it there later.
            await self.spool.write(key, path, SpoolHeader(deleted=True), None)

    async def open(self, key: str) -> AsyncIterator[bytes]:
        path = self.spool.path(key)
        if self.spool.holds(key):
            try:
                header, handle = await asyncio.to_thread(open_spooled, path)
            except FileNotFoundError:
                pass  # uploaded and removed meanwhile: the primary has it
            else:
                if header.deleted:
                    handle.close()
                    raise ObjectNotFound(key)
                return file_chunks(handle)
        return await self.primary.open(key)

    async def exists(self, key: str) -> bool:
        self.spool.path(key)
        item = self.spool.get(key)
        if item is not None:
            return not item.deleted
        return await self.primary.exists(key)

    async def ready(self) -> None:
        """Raises unless the primary answers or, while it is away, the spool can take writes."""
        if not self.health.degraded:
            try:
                await self.primary.exists(PROBE_KEY)
            except Exception as exc:
                if not self._unavailable(exc):
                    raise
                self.health.mark_down(exc)
            else:
                return
        if self.spool.full:
            raise StorageUnavailable(self.spool.full_message())
        await self.spool.probe()
