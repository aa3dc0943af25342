"""One member's side of the persistence stream's consumer group: reading and acknowledging.

Reads new entries or our own pending ones, acknowledges, keeps entries
claimed while they are retried, counts deliveries, dead-letters, claims what
stalled consumers left, trims what every group has processed and forgets
consumers long gone. Applying what was read is :mod:`switchboard_persistence.consumer`'s job.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from switchboard.aio import resolved
from switchboard.names import PERSIST_GROUP, RedisNames
from switchboard_persistence.metrics import DEAD_LETTERS, STREAM_PENDING
from switchboard_persistence.stream_entries import (
    ERROR_MAX,
    Entry,
    after,
    id_key,
    parse_entry,
    text,
)

__all__ = ("DEAD_LETTER_MAXLEN", "ConsumerGroup", "ConsumerOptions")

logger = logging.getLogger(__name__)

# Dead letters are kept for operators, within a bound that protects Redis memory.
DEAD_LETTER_MAXLEN = 100_000
# Consumers with nothing pending and idle this long are removed from the group.
_FORGET_CONSUMER_MS = 3_600_000
# Batches claimed per maintenance pass at most, so new entries are not starved.
_CLAIM_ROUNDS = 10


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


class ConsumerGroup:
    """The persistence stream as one member of its consumer group sees it."""

    def __init__(self, redis: Redis, names: RedisNames, options: ConsumerOptions) -> None:
        self.redis = redis
        self.names = names
        self.options = options
        # False until the group is known to exist, and again once it may have vanished.
        self.ready = False

    @property
    def stream(self) -> str:
        stream: str = self.names.persist_stream
        return stream

    async def ensure(self) -> None:
        """Create the group (and the stream) unless they exist."""
        try:
            await self.redis.xgroup_create(self.stream, PERSIST_GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self.ready = True

    async def read(self, start: str, *, block: int | None) -> tuple[list[Entry], str | None]:
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
                self.ready = False
            raise
        entries: list[Entry] = []
        gone: list[str] = []
        last: str | None = None
        for _stream, items in response or []:
            for raw_id, fields in items:
                last = text(raw_id)
                if fields:
                    entries.append(parse_entry(last, fields))
                else:
                    gone.append(last)
        if gone:
            await self.redis.xack(self.stream, PERSIST_GROUP, *gone)
        return entries, last

    async def ack(self, entries: Sequence[Entry]) -> None:
        await self.redis.xack(self.stream, PERSIST_GROUP, *(e.stream_id for e in entries))

    async def keep_claimed(self, entries: Sequence[Entry]) -> None:
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

    async def delivery_counts(self, entries: Sequence[Entry]) -> dict[str, int]:
        """How many times each of our pending ``entries`` was delivered."""
        ids = sorted((e.stream_id for e in entries), key=id_key)
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
            text(row["message_id"]): int(row["times_delivered"])
            for row in rows
            if text(row["message_id"]) in wanted
        }

    async def dead_letter(self, entry: Entry, reason: str, error: str) -> None:
        """Move ``entry`` to the dead-letter stream and acknowledge it, in one transaction."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xadd(
                self.names.persist_dead,
                {
                    "e": entry.raw or b"",
                    "error": error[:ERROR_MAX],
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

    async def claim_stalled(self, process: Callable[[list[Entry]], Awaitable[None]]) -> None:
        """Take over entries that a consumer (maybe dead) has left unacknowledged too long.

        Each claimed batch goes to ``process`` at once; the claim counts as a delivery, so
        an entry that kills every consumer that reads it reaches ``max_deliveries`` and is
        dead-lettered.
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
            cursor, claimed = text(result[0]), result[1]
            entries = [parse_entry(text(i), fields) for i, fields in claimed if fields]
            if entries:
                logger.info("claimed stalled persistence entries", extra={"count": len(entries)})
                await process(entries)
            if cursor == "0-0":
                return
            start = cursor

    async def trim(self) -> None:
        """Drop entries every group has acknowledged, so the stream does not grow forever."""
        groups: list[dict[str, Any]] = await resolved(self.redis.xinfo_groups(self.stream))
        floor: str | None = None
        pending_total = 0
        for group in groups:
            name = text(group["name"])
            pending = int(group["pending"])
            if name == PERSIST_GROUP:
                pending_total = pending
            if pending:
                summary = await resolved(self.redis.xpending(self.stream, name))
                oldest = text(summary["min"])
            else:
                oldest = after(text(group["last-delivered-id"]))
            if floor is None or id_key(oldest) < id_key(floor):
                floor = oldest
        STREAM_PENDING.set(pending_total)
        if floor is not None and floor != "0-1":
            await self.redis.xtrim(self.stream, minid=floor, approximate=True)

    async def forget_consumers(self) -> None:
        """Remove other consumers that have nothing pending and were idle a long time."""
        consumers: list[dict[str, Any]] = await resolved(
            self.redis.xinfo_consumers(self.stream, PERSIST_GROUP)
        )
        forget_after = max(_FORGET_CONSUMER_MS, 10 * self.options.claim_idle_ms)
        for consumer in consumers:
            name = text(consumer["name"])
            if name == self.options.consumer_name:
                continue
            if int(consumer["pending"]) == 0 and int(consumer["idle"]) > forget_after:
                await self.redis.xgroup_delconsumer(self.stream, PERSIST_GROUP, name)
