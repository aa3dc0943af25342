"""Consume the persistence stream into the database, losing nothing.

One member of the consumer group reads a batch, applies it in one
transaction, commits, then acknowledges: an entry is acknowledged only once
its effect is stored, and applying it twice changes nothing.

- Database away: the batch stays pending and is retried in memory with capped
  backoff; its entries are re-claimed meanwhile so peers do not steal them.
- An entry that fails on its own (not an outage) is retried from the pending
  list with backoff; after ``max_deliveries`` it goes to the dead-letter stream.
- Malformed entries go to the dead-letter stream at once.
- Entries a crashed consumer left pending are claimed after ``claim_idle_ms``.
- Fully processed entries are trimmed from the stream.

This module decides what happens to a batch; reading, acknowledging, dead
letters, claiming and trimming are :mod:`switchboard_persistence.consumer_group`'s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    DisconnectionError,
    IntegrityError,
    NotSupportedError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from switchboard.names import RedisNames
from switchboard_persistence.consumer_group import ConsumerGroup, ConsumerOptions
from switchboard_persistence.metrics import (
    BATCH_SECONDS,
    CONSUMER_FAILURES,
    EVENTS_APPLIED,
    LAG_SECONDS,
)
from switchboard_persistence.stores.base import EventWriter
from switchboard_persistence.stream_entries import ERROR_MAX, Entry

__all__ = ("ConsumerOptions", "Entry", "PersistConsumer", "is_outage")

logger = logging.getLogger(__name__)

# What the database says about one entry's data. Every other database error (refused
# connection, failover, missing database or table, bad password...) is an outage: it is
# retried until it passes and never dead-letters anything.
_DATA_ERRORS: tuple[type[DBAPIError], ...] = (IntegrityError, DataError, NotSupportedError)


def is_outage(exc: BaseException) -> bool:
    """The database, or the way to it, is unusable right now (as opposed to a bad entry)."""
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        return not (isinstance(exc, _DATA_ERRORS) or _about_the_values(exc.orig))
    return isinstance(exc, OSError | TimeoutError | DisconnectionError | PoolTimeoutError)


def _about_the_values(orig: BaseException | None) -> bool:
    """The driver's error blames the values (SQLSTATE class 22 data, 23 integrity).

    Some drivers' errors reach SQLAlchemy untyped: asyncpg refusing a query argument
    (``'abc'`` for a uuid column) arrives as a plain ``DBAPIError`` with state 22000.
    Taking that for an outage would retry the entry forever and hold up the stream.
    """
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return isinstance(state, str) and state[:2] in ("22", "23")


class PersistConsumer:
    """One member of the persistence consumer group."""

    def __init__(
        self,
        redis: Redis,
        repository: EventWriter,
        names: RedisNames,
        options: ConsumerOptions,
    ) -> None:
        self.redis = redis
        self.repository = repository
        self.names = names
        self.options = options
        self.group = ConsumerGroup(redis, names, options)
        self._stopping = asyncio.Event()
        self._next_maintenance = 0.0
        # Our own pending entries are re-read from id "0": at start (what a previous run
        # left), after an error, and when an entry that failed alone is due for a retry.
        self._scan_due: float | None = 0.0
        self._scan_cursor: str | None = None
        self._entry_failures = 0
        self._outage_since: float | None = None
        self._failing_since: float | None = None
        # The blocking read for new entries, cancelled by stop() so a shutdown does not
        # wait out the block (whatever it had read stays pending and is read again).
        self._idle_read: asyncio.Task[tuple[list[Entry], str | None]] | None = None

    @property
    def stream(self) -> str:
        return self.group.stream

    def stop(self) -> None:
        """Finish the current batch and return from :meth:`run`."""
        self._stopping.set()
        if self._idle_read is not None:
            self._idle_read.cancel()

    async def _pause(self, seconds: float) -> None:
        """Sleep, but wake at once when asked to stop."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)

    def _backoff(self, attempt: int) -> float:
        o = self.options
        return float(min(o.backoff_initial * (2 ** min(attempt, 16)), o.backoff_max))

    # --- loop ----------------------------------------------------------------

    async def run(self) -> None:
        """Consume until :meth:`stop`; Redis or database outages are waited out."""
        attempt = 0
        while not self._stopping.is_set():
            try:
                await self.poll()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # Whatever was read but not acknowledged is re-read from our pending list.
                self._scan_due, self._scan_cursor = 0.0, None
                # Redis may be back empty (restarted): the group is created again if so.
                self.group.ready = False
                kind = "redis" if isinstance(exc, RedisError | OSError) else "error"
                CONSUMER_FAILURES.labels(kind=kind).inc()
                if self._failing_since is None:
                    self._failing_since = time.monotonic()
                    logger.error(
                        "persistence consumer failed; retrying",
                        extra={"error": repr(exc)[:ERROR_MAX], "kind": kind},
                        exc_info=kind == "error",
                    )
                await self._pause(self._backoff(attempt))
                attempt += 1
                continue
            if self._failing_since is not None:
                logger.info(
                    "persistence consumer recovered",
                    extra={"down_s": round(time.monotonic() - self._failing_since, 3)},
                )
                self._failing_since = None
            attempt = 0

    async def poll(self) -> int:
        """One read and its processing; returns how many entries were read."""
        if not self.group.ready:
            await self.ensure_group()
        now = time.monotonic()
        if now >= self._next_maintenance:
            await self.maintain()
            self._next_maintenance = now + self.options.maintenance_interval
        if self._scan_cursor is None and self._scan_due is not None and now >= self._scan_due:
            self._scan_cursor, self._scan_due = "0", None
        if self._scan_cursor is not None:
            entries, last = await self.group.read(self._scan_cursor, block=None)
            self._scan_cursor = last  # None: the scan reached the end
            await self._process(entries, redelivered=True)
            return len(entries)
        block = self.options.block_ms
        if self._scan_due is not None:
            block = max(1, min(block, int((self._scan_due - now) * 1000)))
        if self._stopping.is_set():
            return 0
        self._idle_read = asyncio.create_task(self.group.read(">", block=block))
        try:
            entries, _ = await self._idle_read
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if self._stopping.is_set() and (current is None or not current.cancelling()):
                return 0  # stop() ended the wait; anything handed over stays pending
            raise
        finally:
            self._idle_read = None
        await self._process(entries, redelivered=False)
        return len(entries)

    async def ensure_group(self) -> None:
        await self.group.ensure()

    # --- processing ----------------------------------------------------------

    async def _process(self, entries: Sequence[Entry], *, redelivered: bool) -> None:
        if not entries:
            return
        counts = await self.group.delivery_counts(entries) if redelivered else {}
        valid: list[Entry] = []
        for entry in entries:
            if entry.event is None:
                await self.group.dead_letter(entry, "invalid", entry.error or "invalid entry")
            elif counts.get(entry.stream_id, 0) > self.options.max_deliveries:
                # Delivered again and again without an ack: a consumer died on it each time.
                await self.group.dead_letter(
                    entry,
                    "deliveries",
                    f"delivered {counts[entry.stream_id]} times without being committed",
                )
            else:
                valid.append(entry)
        if valid:
            await self._commit(valid)

    async def _commit(self, entries: Sequence[Entry]) -> None:
        """Apply and acknowledge ``entries``, waiting out database outages."""
        attempt = 0
        while True:
            started = time.perf_counter()
            try:
                await self.repository.apply([e.event for e in entries if e.event is not None])
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if is_outage(exc):
                    CONSUMER_FAILURES.labels(kind="database").inc()
                    self._note_outage(exc, entries)
                    if self._stopping.is_set():
                        return  # left pending: a restarted consumer picks them up
                    await self.group.keep_claimed(entries)
                    await self._pause(self._backoff(attempt))
                    attempt += 1
                    continue
                CONSUMER_FAILURES.labels(kind="entry").inc()
                if len(entries) == 1:
                    await self._entry_failed(entries[0], exc)
                    return
                # Something in the batch is bad: find it by applying one at a time.
                for entry in entries:
                    await self._commit([entry])
                return
            break
        BATCH_SECONDS.observe(time.perf_counter() - started)
        await self.group.ack(entries)
        self._note_recovered()
        now = time.time()
        for entry in entries:
            assert entry.event is not None
            EVENTS_APPLIED.labels(type=entry.event.type).inc()
            LAG_SECONDS.observe(max(now - entry.event.ts, 0.0))

    def _note_outage(self, exc: BaseException, entries: Sequence[Entry]) -> None:
        if self._outage_since is not None:
            return
        self._outage_since = time.monotonic()
        logger.error(
            "database unavailable; batch kept pending and retried",
            extra={"error": repr(exc)[:ERROR_MAX], "entries": len(entries)},
        )

    def _note_recovered(self) -> None:
        self._entry_failures = 0
        if self._outage_since is None:
            return
        logger.info(
            "database available again",
            extra={"down_s": round(time.monotonic() - self._outage_since, 3)},
        )
        self._outage_since = None

    async def _entry_failed(self, entry: Entry, exc: BaseException) -> None:
        deliveries = (await self.group.delivery_counts([entry])).get(entry.stream_id, 0)
        if deliveries >= self.options.max_deliveries:
            await self.group.dead_letter(entry, "failed", repr(exc)[:ERROR_MAX])
            return
        self._entry_failures += 1
        delay = self._backoff(self._entry_failures - 1)
        logger.warning(
            "persistence entry failed; it stays pending and is retried",
            extra=entry.log_extra(
                deliveries=deliveries, retry_in_s=delay, error=repr(exc)[:ERROR_MAX]
            ),
        )
        at = time.monotonic() + delay
        self._scan_due = at if self._scan_due is None else min(self._scan_due, at)

    # --- maintenance ---------------------------------------------------------

    async def maintain(self) -> None:
        """Claim stalled entries, trim what every group has processed, forget dead consumers."""

        async def process_claimed(entries: list[Entry]) -> None:
            await self._process(entries, redelivered=True)

        await self.group.claim_stalled(process_claimed)
        await self.group.trim()
        await self.group.forget_consumers()
