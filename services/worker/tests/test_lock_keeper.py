"""The lock keeper's thread ends when told to, not at its next beat.

A worker's shutdown (SIGTERM, a stack stopping, a test's worker block ending) joins
the keeper's thread; with a beat every ``ttl / 3`` that used to add up to a third of
the lock's lifetime to every stop.
"""

from __future__ import annotations

import asyncio
import time

import redis.asyncio as aioredis

from switchboard.names import RedisNames
from switchboard_worker.locks import LockKeeper

LONG_TTL_MS = 30_000  # a beat every 10 s


async def test_stop_ends_the_keeper_between_beats(
    redis_client: aioredis.Redis, redis_prefix: str
) -> None:
    names = RedisNames(redis_prefix)
    await redis_client.set(names.lock("s1"), "token", px=LONG_TTL_MS)
    keeper = LockKeeper(redis_client, names, LONG_TTL_MS)
    keeper.hold("s1", "token")
    keeper.start()
    # The first beat has refreshed the lock: the thread now waits for the next one.
    deadline = time.monotonic() + 10
    while await redis_client.zscore(names.running, "s1") is None:
        assert time.monotonic() < deadline, "the keeper never beat"
        await asyncio.sleep(0.05)

    started = time.monotonic()
    await asyncio.to_thread(keeper.stop)
    assert time.monotonic() - started < keeper.interval_s / 2
    assert keeper._thread is None
