"""Claiming a poll's jobs in one script, against a real Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from switchboard_worker.claims import JobClaims


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    redis = aioredis.Redis.from_url(redis_url)
    yield redis
    await redis.aclose()


async def test_due_jobs_not_running_are_claimed_in_order_up_to_the_limit(
    client: aioredis.Redis, redis_prefix: str
) -> None:
    queue = f"{redis_prefix}:queue"
    prefix = f"{redis_prefix}:in-progress:"
    claims = JobClaims(client, queue, prefix)
    now = 1_000_000
    await client.zadd(queue, {"running": 10, "a": 20, "b": 30, "later": now + 5_000, "c": 40})
    await client.set(prefix + "running", "1")

    # "gone" is listed but no longer queued (finished since the poll read the queue).
    listed = ["running", "gone", "a", "b", "later", "c"]
    assert await claims.claim(listed, 2, 60_000, now) == [("a", 20), ("b", 30)]
    assert 0 < await client.pttl(prefix + "a") <= 60_000
    assert await client.exists(prefix + "c") == 0

    # The next poll lists them all again: only what is still free is taken.
    assert await claims.claim(listed, 10, 60_000, now) == [("c", 40)]
    assert await claims.claim(listed, 10, 60_000, now + 10_000) == [("later", now + 5_000)]
    assert await claims.claim(listed, 10, 60_000, now + 10_000) == []
    assert await claims.claim([], 10, 60_000, now) == []
