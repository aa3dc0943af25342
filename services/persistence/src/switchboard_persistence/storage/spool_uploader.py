"""The background task that uploads the spool to the primary store once it is back.

Capped exponential backoff between passes, oldest write first, each spooled
copy removed once the primary has it; every reconnect calls the primary's
``start`` first, so a bucket lost with its server is created again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable

from switchboard_persistence.storage.base import ObjectStorage
from switchboard_persistence.storage.local_spool import LocalSpool
from switchboard_persistence.storage.primary_health import PrimaryHealth
from switchboard_persistence.storage.spool_files import open_spooled

__all__ = ("SpoolUploader",)

logger = logging.getLogger(__name__)


class SpoolUploader:
    """Drains ``spool`` into ``primary`` while it holds anything or the primary is down."""

    def __init__(
        self,
        primary: ObjectStorage,
        spool: LocalSpool,
        health: PrimaryHealth,
        *,
        unavailable: Callable[[BaseException], bool],
        retry_initial: float,
        retry_max: float,
    ) -> None:
        self.primary = primary
        self.spool = spool
        self.health = health
        self._unavailable = unavailable
        self._retry_initial = retry_initial
        self._retry_max = max(retry_max, retry_initial)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._drain_loop(), name="storage-spool")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _drain_loop(self) -> None:
        delay = self._retry_initial
        while True:
            if not self.health.degraded and not self.spool.objects:
                self.health.wake.clear()
                await self.health.wake.wait()  # set when an outage begins
                delay = self._retry_initial
            await asyncio.sleep(delay)
            try:
                done = await self.drain()
            except Exception:  # never let the uploader die; the next pass tries again
                logger.exception("object storage spool: upload pass failed")
                done = False
            delay = self._retry_initial if done else min(delay * 2, self._retry_max)

    async def drain(self) -> bool:
        """One pass over the spool; True when it ends empty with the primary reachable."""
        try:
            if self.health.degraded:
                await self.primary.start()  # the probe; recreates a bucket lost with its server
            self.health.mark_up()
            ok = True
            for key in self.spool.oldest_first():
                ok = await self._upload(key) and ok
        except Exception as exc:
            if not self._unavailable(exc):
                raise
            self.health.mark_down(exc)
            return False
        return ok and not self.spool.objects

    async def _upload(self, key: str) -> bool:
        """Apply one spooled write to the primary; outages propagate, other failures return False."""
        async with self.spool.locked(key):
            if not self.spool.holds(key):
                return True  # replaced by a direct write meanwhile
            path = self.spool.path(key)
            try:
                header, handle = await asyncio.to_thread(open_spooled, path)
            except FileNotFoundError:
                self.spool.forget(key)
                return True
            except (OSError, ValueError) as exc:
                logger.error(
                    "unreadable file in the object storage spool; set aside",
                    extra={"object_key": key, "error": f"{type(exc).__name__}: {exc}"},
                )
                with contextlib.suppress(OSError):
                    await asyncio.to_thread(os.replace, path, path.with_name(path.name + ".bad"))
                self.spool.forget(key)
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
            await self.spool.discard(key, path)
            return True
