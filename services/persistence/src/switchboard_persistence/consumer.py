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
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    DisconnectionError,
    IntegrityError,
    NotSupportedError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from switchboard.aio import resolved
from switchboard.names import PERSIST_GROUP, RedisNames
from switchboard.schema import PersistEvent, persist_event_adapter
from switchboard_persistence.errors import InvalidEvent
from switchboard_persistence.metrics import (
    BATCH_SECONDS,
    CONSUMER_FAILURES,
    DEAD_LETTERS,
    EVENTS_APPLIED,
    LAG_SECONDS,
    STREAM_PENDING,
)
from switchboard_persistence.repository import Repository
from switchboard_persistence.validation import validate_event

__all__ = ("ConsumerOptions", "Entry", "PersistConsumer", "is_outage")

logger = logging.getLogger(__name__)

# Dead letters are kept for operators, within a bound that protects Redis memory.
DEAD_LETTER_MAXLEN = 100_000
# Consumers with nothing pending and idle this long are removed from the group.
_FORGET_CONSUMER_MS = 3_600_000
_ERROR_MAX = 2000
# Batches claimed per maintenance pass at most, so new entries are not starved.
_CLAIM_ROUNDS = 10

# What the database says about one entry's data. Every other database error (refused
# connection, failover, missing database or table, bad password...) is an outage: it is
# retried until it passes and never dead-letters anything.
_DATA_ERRORS: tuple[type[DBAPIError], ...] = (IntegrityError, DataError, NotSupportedError)


def is_outage(exc: BaseException) -> bool:
    """The database, or the way to it, is unusable right now (as opposed to a bad entry)."""
    if isinstance(exc, DBAPIError):
        return bool(exc.connection_invalidated) or not isinstance(exc, _DATA_ERRORS)
    return isinstance(exc, OSError | TimeoutError | DisconnectionError | PoolTimeoutError)


@dataclass(frozen=True, slots=True)
class ConsumerOptions:
    consumer_name: str
    batch_size: int = 200
    claim_idle_ms: int = 30_000
    max_deliveries: int = 5
    block_ms: int = 1000
    backoff_initial: float = 0.5
    backoff_max: float = 10.0
    # How often stalled entries are claimed and the stream trimmed.
    maintenance_interval: float = 5.0


@dataclass(slots=True)
class Entry:
    stream_id: str
    raw: bytes | None
    event: PersistEvent | None = None
    error: str | None = None

    def log_extra(self, **more: Any) -> dict[str, Any]:
        extra: dict[str, Any] = {"stream_id": self.stream_id, **more}
        if self.event is not None:
            extra["thread_id"] = self.event.thread_id
            extra["session_id"] = self.event.session_id
        return extra


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _parse(stream_id: str, fields: dict[bytes, bytes]) -> Entry:
    raw = fields.get(b"e")
    if raw is None:
        return Entry(stream_id, None, error="entry has no 'e' field")
    try:
        event = persist_event_adapter.validate_json(raw)
        validate_event(event)
    except ValidationError as exc:
        return Entry(stream_id, raw, error=f"invalid event: {exc}"[:_ERROR_MAX])
    except InvalidEvent as exc:
        return Entry(stream_id, raw, error=f"invalid event: {exc}"[:_ERROR_MAX])
    return Entry(stream_id, raw, event)


def _after(stream_id: str) -> str:
    """The smallest stream id greater than ``stream_id``."""
    ms, _, seq = stream_id.partition("-")
    return f"{ms}-{int(seq or 0) + 1}"


def _id_key(stream_id: str) -> tuple[int, int]:
    ms, _, seq = stream_id.partition("-")
    return int(ms), int(seq or 0)


class PersistConsumer:
    """One member of the persistence consumer group."""

    def __init__(
        self,
        redis: Redis,
        repository: Repository,
        names: RedisNames,
        options: ConsumerOptions,
    ) -> None:
        self.redis = redis
        self.repository = repository
        self.names = names
        self.options = options
        self._stopping = asyncio.Event()
        self._group_ready = False
        self._next_maintenance = 0.0
        # Our own pending entries are re-read from id "0": at start (what a previous run
        # left), after an error, and when an entry that failed alone is due for a retry.
        self._scan_due: float | None = 0.0
        self._scan_cursor: str | None = None
        self._entry_failures = 0
        self._outage_since: float | None = None
        self._failing_since: float | None = None

    @property
    def stream(self) -> str:
        stream: str = self.names.persist_stream
        return stream

    def stop(self) -> None:
        """Finish the current batch and return from :meth:`run`."""
        self._stopping.set()

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
                self._group_ready = False
                kind = "redis" if isinstance(exc, RedisError | OSError) else "error"
                CONSUMER_FAILURES.labels(kind=kind).inc()
                if self._failing_since is None:
                    self._failing_since = time.monotonic()
                    logger.error(
                        "persistence consumer failed; retrying",
                        extra={"error": repr(exc)[:_ERROR_MAX], "kind": kind},
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
        if not self._group_ready:
            await self.ensure_group()
        now = time.monotonic()
        if now >= self._next_maintenance:
            await self.maintain()
            self._next_maintenance = now + self.options.maintenance_interval
        if self._scan_cursor is None and self._scan_due is not None and now >= self._scan_due:
            self._scan_cursor, self._scan_due = "0", None
        if self._scan_cursor is not None:
            entries, last = await self._read(self._scan_cursor, block=None)
            self._scan_cursor = last  # None: the scan reached the end
            await self._process(entries, redelivered=True)
            return len(entries)
        block = self.options.block_ms
        if self._scan_due is not None:
            block = max(1, min(block, int((self._scan_due - now) * 1000)))
        entries, _ = await self._read(">", block=block)
        await self._process(entries, redelivered=False)
        return len(entries)

    async def ensure_group(self) -> None:
        try:
            await self.redis.xgroup_create(self.stream, PERSIST_GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True

    async def _read(self, start: str, *, block: int | None) -> tuple[list[Entry], str | None]:
        """Entries from ``start`` ("0" and later ids: our pending ones; ">": new ones).

        Also returns the last id read, so a scan of the pending list moves past entries
        that were trimmed from the stream (they are acknowledged here: nothing to apply).
        """
        try:
            response = await self.redis.xreadgroup(
                PERSIST_GROUP,
                self.options.consumer_name,
                {self.stream: start},
                count=self.options.batch_size,
                block=block,
            )
        except ResponseError as exc:
            if "NOGROUP" in str(exc):  # the stream or group vanished (Redis flushed)
                self._group_ready = False
            raise
        entries: list[Entry] = []
        gone: list[str] = []
        last: str | None = None
        for _stream, items in response or []:
            for raw_id, fields in items:
                last = _text(raw_id)
                if fields:
                    entries.append(_parse(last, fields))
                else:
                    gone.append(last)
        if gone:
            await self.redis.xack(self.stream, PERSIST_GROUP, *gone)
        return entries, last

    # --- processing ----------------------------------------------------------

    async def _process(self, entries: Sequence[Entry], *, redelivered: bool) -> None:
        if not entries:
            return
        counts = await self._delivery_counts(entries) if redelivered else {}
        valid: list[Entry] = []
        for entry in entries:
            if entry.event is None:
                await self._dead_letter(entry, "invalid", entry.error or "invalid entry")
            elif counts.get(entry.stream_id, 0) > self.options.max_deliveries:
                # Delivered again and again without an ack: a consumer died on it each time.
                await self._dead_letter(
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
                    await self._keep_claimed(entries)
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
        await self.redis.xack(self.stream, PERSIST_GROUP, *(e.stream_id for e in entries))
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
            extra={"error": repr(exc)[:_ERROR_MAX], "entries": len(entries)},
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

    async def _keep_claimed(self, entries: Sequence[Entry]) -> None:
        """Reset the entries' idle time so peers do not claim what we are retrying.

        JUSTID leaves the delivery counter alone: waiting for the database is not a failure.
        """
        # Redis away too: the next poll deals with it.
        with contextlib.suppress(RedisError):
            await self.redis.xclaim(
                self.stream,
                PERSIST_GROUP,
                self.options.consumer_name,
                min_idle_time=0,
                message_ids=[e.stream_id for e in entries],
                justid=True,
            )

    async def _entry_failed(self, entry: Entry, exc: BaseException) -> None:
        deliveries = (await self._delivery_counts([entry])).get(entry.stream_id, 0)
        if deliveries >= self.options.max_deliveries:
            await self._dead_letter(entry, "failed", repr(exc)[:_ERROR_MAX])
            return
        self._entry_failures += 1
        delay = self._backoff(self._entry_failures - 1)
        logger.warning(
            "persistence entry failed; it stays pending and is retried",
            extra=entry.log_extra(
                deliveries=deliveries, retry_in_s=delay, error=repr(exc)[:_ERROR_MAX]
            ),
        )
        at = time.monotonic() + delay
        self._scan_due = at if self._scan_due is None else min(self._scan_due, at)

    async def _delivery_counts(self, entries: Sequence[Entry]) -> dict[str, int]:
        ids = sorted((e.stream_id for e in entries), key=_id_key)
        rows: list[dict[str, Any]] = await resolved(
            self.redis.xpending_range(
                self.stream,
                PERSIST_GROUP,
                min=ids[0],
                max=ids[-1],
                count=len(ids) + 1000,
                consumername=self.options.consumer_name,
            )
        )
        wanted = set(ids)
        return {
            _text(row["message_id"]): int(row["times_delivered"])
            for row in rows
            if _text(row["message_id"]) in wanted
        }

    async def _dead_letter(self, entry: Entry, reason: str, error: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xadd(
                self.names.persist_dead,
                {
                    "e": entry.raw or b"",
                    "error": error[:_ERROR_MAX],
                    "stream_id": entry.stream_id,
                    "reason": reason,
                    "consumer": self.options.consumer_name,
                },
                maxlen=DEAD_LETTER_MAXLEN,
                approximate=True,
            )
            pipe.xack(self.stream, PERSIST_GROUP, entry.stream_id)
            await pipe.execute()
        DEAD_LETTERS.labels(reason=reason).inc()
        logger.error(
            "persistence entry moved to the dead-letter stream",
            extra=entry.log_extra(reason=reason, error=error[:500]),
        )

    # --- maintenance ---------------------------------------------------------

    async def maintain(self) -> None:
        """Claim stalled entries, trim what every group has processed, forget dead consumers."""
        await self._claim_stalled()
        await self._trim()
        await self._forget_consumers()

    async def _claim_stalled(self) -> None:
        """Take over entries that a consumer (maybe dead) has left unacknowledged too long.

        They are processed at once; the claim counts as a delivery, so an entry that kills
        every consumer that reads it reaches ``max_deliveries`` and is dead-lettered.
        """
        start = "0-0"
        for _ in range(_CLAIM_ROUNDS):
            result = await self.redis.xautoclaim(
                self.stream,
                PERSIST_GROUP,
                self.options.consumer_name,
                min_idle_time=self.options.claim_idle_ms,
                start_id=start,
                count=self.options.batch_size,
            )
            cursor, claimed = _text(result[0]), result[1]
            entries = [_parse(_text(i), fields) for i, fields in claimed if fields]
            if entries:
                logger.info("claimed stalled persistence entries", extra={"count": len(entries)})
                await self._process(entries, redelivered=True)
            if cursor == "0-0":
                return
            start = cursor

    async def _trim(self) -> None:
        """Drop entries every group has acknowledged, so the stream does not grow forever."""
        groups: list[dict[str, Any]] = await resolved(self.redis.xinfo_groups(self.stream))
        floor: str | None = None
        pending_total = 0
        for group in groups:
            name = _text(group["name"])
            pending = int(group["pending"])
            if name == PERSIST_GROUP:
                pending_total = pending
            if pending:
                summary = await resolved(self.redis.xpending(self.stream, name))
                oldest = _text(summary["min"])
            else:
                oldest = _after(_text(group["last-delivered-id"]))
            if floor is None or _id_key(oldest) < _id_key(floor):
                floor = oldest
        STREAM_PENDING.set(pending_total)
        if floor is not None and floor != "0-1":
            await self.redis.xtrim(self.stream, minid=floor, approximate=True)

    async def _forget_consumers(self) -> None:
        consumers: list[dict[str, Any]] = await resolved(
            self.redis.xinfo_consumers(self.stream, PERSIST_GROUP)
        )
        forget_after = max(_FORGET_CONSUMER_MS, 10 * self.options.claim_idle_ms)
        for consumer in consumers:
            name = _text(consumer["name"])
            if name == self.options.consumer_name:
                continue
            if int(consumer["pending"]) == 0 and int(consumer["idle"]) > forget_after:
                await self.redis.xgroup_delconsumer(self.stream, PERSIST_GROUP, name)
