"""Claiming a poll's jobs in one script, against a real Redis."""

from __future__ import annotations

import redis.asyncio as aioredis

from switchboard.names import RedisNames
from switchboard_worker.claims import AFFINITY_MS, JobClaims


async def test_due_jobs_not_running_are_claimed_in_order_up_to_the_limit(
    redis_client: aioredis.Redis, redis_prefix: str
) -> None:
    queue = f"{redis_prefix}:queue"
    prefix = f"{redis_prefix}:in-progress:"
    claims = JobClaims(redis_client, queue, prefix)
    now = 1_000_000
    await redis_client.zadd(queue, {"running": 10, "a": 20, "b": 30, "later": now + 5_000, "c": 40})
    await redis_client.set(prefix + "running", "1")

    # "gone" is listed but no longer queued (finished since the poll read the queue).
    listed = ["running", "gone", "a", "b", "later", "c"]
    assert await claims.claim(listed, 2, 60_000, now) == [("a", 20), ("b", 30)]
    assert 0 < await redis_client.pttl(prefix + "a") <= 60_000
    assert await redis_client.exists(prefix + "c") == 0

    # The next poll lists them all again: only what is still free is taken.
    assert await claims.claim(listed, 10, 60_000, now) == [("c", 40)]
    assert await claims.claim(listed, 10, 60_000, now + 10_000) == [("later", now + 5_000)]
    assert await claims.claim(listed, 10, 60_000, now + 10_000) == []
    assert await claims.claim([], 10, 60_000, now) == []


async def test_a_session_whose_mcp_servers_another_live_worker_holds_waits_for_it(
    redis_client: aioredis.Redis, redis_prefix: str
) -> None:
    names = RedisNames(redis_prefix)
    prefix = f"{redis_prefix}:in-progress:"
    me = JobClaims(redis_client, names.queue, prefix, names=names, worker_id="me")
    holder = JobClaims(redis_client, names.queue, prefix, names=names, worker_id="holder")
    now = 1_000_000
    await redis_client.zadd(names.queue, {"s1:e1": now - 100, "s2:e1": now - 100})
    await redis_client.set(names.mcp_holder("s1"), "holder")
    await redis_client.set(names.worker_beat("holder"), b'{"id":"holder","draining":false}')

    # Another worker leaves s1 to its holder; s2 has no holder and goes to anyone.
    assert await me.claim(["s1:e1", "s2:e1"], 10, 60_000, now) == [("s2:e1", now - 100)]
    assert await holder.claim(["s1:e1"], 10, 60_000, now) == [("s1:e1", now - 100)]

    # Past the affinity window, or with the holder draining or gone, anyone takes it.
    await redis_client.zadd(names.queue, {"s1:e2": now - 100, "s1:e3": now - 100})
    assert await me.claim(["s1:e2"], 10, 60_000, now - 100 + AFFINITY_MS) == [("s1:e2", now - 100)]
    await redis_client.set(names.worker_beat("holder"), b'{"id":"holder","draining":true}')
    assert await me.claim(["s1:e3"], 10, 60_000, now) == [("s1:e3", now - 100)]
    await redis_client.zadd(names.queue, {"s1:e4": now - 100})
    await redis_client.delete(names.worker_beat("holder"))
    assert await me.claim(["s1:e4"], 10, 60_000, now) == [("s1:e4", now - 100)]
