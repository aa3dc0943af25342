"""Whether the primary object store is known to be unreachable, logged once each way."""

from __future__ import annotations

import asyncio
import logging
import time

from switchboard_persistence.metrics import STORAGE_UP
from switchboard_persistence.storage.local_spool import LocalSpool

__all__ = ("PrimaryHealth",)

logger = logging.getLogger(__name__)


class PrimaryHealth:
    """Up or down, since when; ``wake`` is set when an outage begins (the uploader waits on it)."""

    def __init__(self, spool: LocalSpool) -> None:
        self._spool = spool
        self._down_since: float | None = None
        self.wake = asyncio.Event()

    @property
    def degraded(self) -> bool:
        """Whether the primary is known to be unreachable (writes go to the spool)."""
        return self._down_since is not None

    def mark_down(self, exc: BaseException) -> None:
        if self._down_since is not None:
            return
        self._down_since = time.monotonic()
        STORAGE_UP.set(0)
        logger.warning(
            "object storage unavailable; writes go to the local spool",
            extra={"error": f"{type(exc).__name__}: {exc}", "spool_dir": str(self._spool.root)},
        )
        self.wake.set()

    def mark_up(self) -> None:
        STORAGE_UP.set(1)
        if self._down_since is None:
            return
        down_s = time.monotonic() - self._down_since
        self._down_since = None
        logger.info(
            "object storage available again",
            extra={"down_s": round(down_s, 3), "spooled": self._spool.objects},
        )
