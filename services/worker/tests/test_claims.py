"""Claiming a poll's jobs in one script, against a real Redis."""

from __future__ import annotations

import redis.asyncio as aioredis

from switchboard_worker.claims import JobClaims


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
