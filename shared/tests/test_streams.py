"""UI streams against a real Redis: what a reconnecting client can still replay."""

from __future__ import annotations

import asyncio
import uuid

import redis.asyncio as aioredis

from switchboard.names import RedisNames
from switchboard.schema.events import TaskEnd, TaskStart
from switchboard.streams import Streams


async def test_events_older_than_the_grace_are_trimmed_newer_ones_kept(
    redis_client: aioredis.Redis, redis_prefix: str
) -> None:
    names = RedisNames(redis_prefix)
    # A 1 s disconnect grace and no margin: events from 2 s ago can never be asked for.
    streams = Streams(redis_client, names, session_ttl=1, replay_margin=0)
    session_id = str(uuid.uuid4())
    key = names.ui_stream(session_id)
    await streams.emit_many([TaskStart(session_id=session_id) for _ in range(500)])
    assert await redis_client.xlen(key) == 500

    await asyncio.sleep(2.1)
    recent = [TaskEnd(session_id=session_id) for _ in range(3)]
    await streams.emit_many(recent[:2])
    last_id = await streams.emit(recent[2])

    entries = await redis_client.xrange(key)
    kinds = [fields[b"e"] for _, fields in entries]
    # Redis trims whole nodes (about 100 entries): most of the old ones are gone, every
    # new one is kept, in order, with the last id the writer was given.
    assert len(entries) < 150
    assert [k for k in kinds if b"task_end" in k] == [e.model_dump_json().encode() for e in recent]
    assert entries[-1][0].decode() == last_id


async def test_events_within_the_grace_are_all_kept(
    redis_client: aioredis.Redis, redis_prefix: str
) -> None:
    names = RedisNames(redis_prefix)
    streams = Streams(redis_client, names, session_ttl=3600)
    session_id = str(uuid.uuid4())
    await streams.emit_many([TaskStart(session_id=session_id) for _ in range(500)])
    await streams.emit(TaskEnd(session_id=session_id))
    assert await redis_client.xlen(names.ui_stream(session_id)) == 501


async def _calls(redis_client: aioredis.Redis, command: str) -> int:
    stats = await redis_client.info("commandstats")
    return int(stats.get(f"cmdstat_{command}", {}).get("calls", 0))


async def test_an_event_costs_one_append_expiry_and_trim_are_refreshed_per_period(
    redis_client: aioredis.Redis, redis_prefix: str
) -> None:
    names = RedisNames(redis_prefix)
    streams = Streams(redis_client, names, session_ttl=3600)
    session_id = str(uuid.uuid4())
    key = names.ui_stream(session_id)
    before = {c: await _calls(redis_client, c) for c in ("xadd", "expire", "xtrim")}
    for _ in range(50):
        await streams.emit(TaskStart(session_id=session_id))
    await streams.emit_many([TaskEnd(session_id=session_id) for _ in range(50)])
    after = {c: await _calls(redis_client, c) for c in ("xadd", "expire", "xtrim")}
    # Other tests may share this Redis: allow them a little, far below one per event.
    assert after["xadd"] - before["xadd"] >= 100
    assert after["expire"] - before["expire"] < 10
    assert after["xtrim"] - before["xtrim"] < 10
    # The stream still expires: the first write set its time to live.
    assert 3600 < await redis_client.ttl(key) <= 3600 + 3600
    assert await redis_client.xlen(key) == 100
