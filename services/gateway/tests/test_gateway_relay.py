"""The relay from a session's UI stream in Redis to its sockets, against a real Redis.

Events are appended with XADD under ``RedisNames.ui_stream`` as workers append them;
the relay's emit function records what it is handed.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
import redis.asyncio as aioredis

from switchboard.names import RedisNames
from switchboard_gateway.relay import StreamRelay

# Stream id before every entry: a new session's stream is read from its start.
FROM_START = "0-0"


@dataclass(frozen=True)
class Delivered:
    sid: str
    session_id: str
    event: dict[str, Any]
    entry_id: str


@dataclass
class Recorder:
    """The relay's emit function: keeps every call, in order."""

    calls: list[Delivered] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(
        self, sid: str, session_id: str, event: dict[str, Any], entry_id: str
    ) -> None:
        self.calls.append(Delivered(sid, session_id, event, entry_id))
        self.changed.set()

    def to(self, sid: str) -> list[Delivered]:
        return [call for call in self.calls if call.sid == sid]

    async def wait_for(self, sid: str, count: int, timeout: float = 5.0) -> list[Delivered]:
        """The first ``count`` deliveries to ``sid``, once there are that many."""
        async with asyncio.timeout(timeout):
            while len(self.to(sid)) < count:
                self.changed.clear()
                await self.changed.wait()
        return self.to(sid)[:count]


@dataclass
class Harness:
    redis: aioredis.Redis
    names: RedisNames
    relay: StreamRelay
    emitted: Recorder

    async def append(self, session_id: str, text: str) -> str:
        """XADD one UI event as a worker does; its stream entry id."""
        event = {"type": "new_message", "payload": {"id": str(uuid.uuid4()), "output": text}}
        entry_id = await self.redis.xadd(
            self.names.ui_stream(session_id), {"e": orjson.dumps(event)}
        )
        return entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)


def outputs(delivered: list[Delivered]) -> list[str]:
    return [d.event["payload"]["output"] for d in delivered]


@contextlib.asynccontextmanager
async def start_relay(redis: aioredis.Redis, prefix: str, shards: int) -> AsyncIterator[Harness]:
    names = RedisNames(prefix)
    emitted = Recorder()
    relay = StreamRelay(redis, names, uuid.uuid4().hex[:12], shards, emitted)
    await relay.start()
    try:
        yield Harness(redis, names, relay, emitted)
    finally:
        await relay.stop()


@pytest.fixture
async def one_shard(redis_client: aioredis.Redis, redis_prefix: str) -> AsyncIterator[Harness]:
    """A relay whose sessions all share one reader (so one session's events order another's)."""
    async with start_relay(redis_client, redis_prefix, shards=1) as harness:
        yield harness


@pytest.fixture
async def four_shards(redis_client: aioredis.Redis, redis_prefix: str) -> AsyncIterator[Harness]:
    async with start_relay(redis_client, redis_prefix, shards=4) as harness:
        yield harness


def new_session() -> str:
    return str(uuid.uuid4())


async def test_held_and_new_events_are_delivered_in_order_with_their_stream_ids(
    one_shard: Harness,
) -> None:
    session = new_session()
    before = [await one_shard.append(session, f"before {i}") for i in range(3)]
    await one_shard.relay.attach(session, "sid-1", FROM_START)
    after = [await one_shard.append(session, f"after {i}") for i in range(3)]

    delivered = await one_shard.emitted.wait_for("sid-1", 6)
    assert outputs(delivered) == [f"before {i}" for i in range(3)] + [
        f"after {i}" for i in range(3)
    ]
    assert [d.entry_id for d in delivered] == before + after
    assert {d.session_id for d in delivered} == {session}
    assert {d.event["type"] for d in delivered} == {"new_message"}
    assert one_shard.relay.events_relayed == 6


async def test_an_entry_without_an_event_is_skipped(one_shard: Harness) -> None:
    session = new_session()
    await one_shard.relay.attach(session, "sid-1", FROM_START)
    await one_shard.redis.xadd(one_shard.names.ui_stream(session), {"other": "field"})
    last = await one_shard.append(session, "real")
    delivered = await one_shard.emitted.wait_for("sid-1", 1)
    assert [(d.entry_id, outputs([d])) for d in delivered] == [(last, ["real"])]
    await asyncio.sleep(0.1)
    assert len(one_shard.emitted.calls) == 1


async def test_attach_resumes_right_after_the_given_stream_id(one_shard: Harness) -> None:
    session = new_session()
    ids = [await one_shard.append(session, f"e{i}") for i in range(5)]
    # A client reconnecting with the last event id it saw.
    await one_shard.relay.attach(session, "sid-1", ids[2])
    newer = await one_shard.append(session, "e5")

    delivered = await one_shard.emitted.wait_for("sid-1", 3)
    assert outputs(delivered) == ["e3", "e4", "e5"]
    assert [d.entry_id for d in delivered] == [*ids[3:], newer]


async def test_attach_from_now_skips_what_the_stream_already_holds(one_shard: Harness) -> None:
    session = new_session()
    for i in range(3):
        await one_shard.append(session, f"old {i}")
    await one_shard.relay.attach(session, "sid-1", None)
    await one_shard.append(session, "new")

    delivered = await one_shard.emitted.wait_for("sid-1", 1)
    assert outputs(delivered) == ["new"]
    await asyncio.sleep(0.1)
    assert outputs(one_shard.emitted.to("sid-1")) == ["new"]


async def test_nothing_is_delivered_to_a_socket_after_it_detaches(one_shard: Harness) -> None:
    session, witness = new_session(), new_session()
    await one_shard.relay.attach(session, "sid-1", FROM_START)
    await one_shard.relay.attach(session, "sid-2", FROM_START)
    await one_shard.relay.attach(witness, "sid-w", FROM_START)
    await one_shard.append(session, "both see this")
    await one_shard.emitted.wait_for("sid-1", 1)
    await one_shard.emitted.wait_for("sid-2", 1)

    # One of two sockets leaves: the other still gets the session's events.
    one_shard.relay.detach(session, "sid-1")
    await one_shard.append(session, "only sid-2")
    await one_shard.emitted.wait_for("sid-2", 2)

    # The last one leaves: the session is no longer relayed at all.
    one_shard.relay.detach(session, "sid-2")
    assert one_shard.relay.held_sessions == 1
    await one_shard.append(session, "nobody")
    # Events of another session on the same reader, appended later, are delivered:
    # the reader went past "nobody" without handing it to anyone.
    for i in range(2):
        await one_shard.append(witness, f"w{i}")
    await one_shard.emitted.wait_for("sid-w", 2)

    assert outputs(one_shard.emitted.to("sid-1")) == ["both see this"]
    assert outputs(one_shard.emitted.to("sid-2")) == ["both see this", "only sid-2"]
    assert "nobody" not in outputs(one_shard.emitted.calls)


async def test_sessions_spread_over_shards_each_get_their_own_events_in_order(
    four_shards: Harness,
) -> None:
    sessions = [new_session() for _ in range(8)]
    for index, session in enumerate(sessions):
        await four_shards.relay.attach(session, f"sid-{index}", FROM_START)
    # Interleaved appends across sessions, as many workers write at once.
    for round_ in range(5):
        for index, session in enumerate(sessions):
            await four_shards.append(session, f"s{index} r{round_}")

    for index, session in enumerate(sessions):
        delivered = await four_shards.emitted.wait_for(f"sid-{index}", 5)
        assert outputs(delivered) == [f"s{index} r{r}" for r in range(5)]
        assert {d.session_id for d in delivered} == {session}
    await asyncio.sleep(0.1)
    assert len(four_shards.emitted.calls) == 40
