"""Each worker beats its own heartbeat key; stopping one never makes another look dead.

Real workers (``create_worker``, the arq poll loop) in this event loop against real
Redis; the fleet is read as operators read it (``switchboard.fleet.live_workers``).
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time

import redis
import redis.asyncio as aioredis
from worker_support import StartWorker

from switchboard.fleet import BEAT_MISSES, WorkerBeat, live_workers
from switchboard.names import RedisNames
from tests.support.waiting import eventually

APP = """
import switchboard as cl


@cl.on_message
async def echo(message: cl.Message):
    await cl.Message(content=message.content).send()
"""

INTERVAL = 0.2


def fleet(redis_url: str, names: RedisNames) -> dict[str, WorkerBeat]:
    client = redis.Redis.from_url(redis_url)
    try:
        return {beat.id: beat for beat in live_workers(client, names)}
    finally:
        client.close()


async def fleet_of(redis_url: str, names: RedisNames) -> dict[str, WorkerBeat]:
    return await asyncio.to_thread(fleet, redis_url, names)


async def probe(redis_url: str, names: RedisNames, worker_id: str, mode: str) -> int:
    """The worker's probe command (as a container runs it), for one worker id."""
    env = {
        **os.environ,
        "SWITCHBOARD_REDIS_URL": redis_url,
        "SWITCHBOARD_REDIS_PREFIX": names.prefix,
        "SWITCHBOARD_WORKER_ID": worker_id,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "switchboard_worker", mode, env=env
    )
    return await asyncio.wait_for(process.wait(), 30)


async def test_each_worker_beats_its_own_key_and_a_graceful_stop_removes_only_its_own(
    running_worker: StartWorker, redis_url: str, redis_prefix: str, redis_client: aioredis.Redis
) -> None:
    names = RedisNames(redis_prefix)
    async with running_worker(APP, worker_id="worker-b", heartbeat_interval=INTERVAL):
        async with running_worker(APP, worker_id="worker-a", heartbeat_interval=INTERVAL):

            async def both() -> bool:
                return set(await fleet_of(redis_url, names)) == {"worker-a", "worker-b"}

            await eventually(both, "both workers in the fleet")
            for beat in (await fleet_of(redis_url, names)).values():
                assert beat.host == socket.gethostname() and beat.pid == os.getpid()
                assert beat.interval_s == INTERVAL and not beat.draining
                assert beat.ttl_s is not None and 0 < beat.ttl_s <= INTERVAL * BEAT_MISSES
                assert beat.age_s is not None and beat.age_s < INTERVAL * BEAT_MISSES
            assert await redis_client.exists(names.worker_beat("worker-a")) == 1

        # worker-a stopped gracefully: it left at once, worker-b stays for as long as it runs.
        assert set(await fleet_of(redis_url, names)) == {"worker-b"}
        assert await redis_client.exists(names.worker_beat("worker-a")) == 0
        assert await redis_client.zscore(names.workers, "worker-a") is None
        deadline = time.monotonic() + INTERVAL * BEAT_MISSES * 4
        while time.monotonic() < deadline:
            beat = (await fleet_of(redis_url, names))["worker-b"]
            assert beat.age_s is not None and beat.age_s < INTERVAL * BEAT_MISSES
            await asyncio.sleep(INTERVAL / 2)

    # The last worker left: no heartbeat key and no index remain.
    assert await fleet_of(redis_url, names) == {}
    assert await redis_client.exists(names.worker_beat("worker-b"), names.workers) == 0


async def test_a_worker_asked_to_stop_says_it_drains_until_it_is_gone(
    running_worker: StartWorker, redis_url: str, redis_prefix: str
) -> None:
    names = RedisNames(redis_prefix)
    async with running_worker(APP, worker_id="worker-d", heartbeat_interval=5.0) as running:

        async def beating() -> bool:
            return "worker-d" in await fleet_of(redis_url, names)

        await eventually(beating, "worker-d in the fleet")
        assert await probe(redis_url, names, "worker-d", "--ready") == 0
        assert await probe(redis_url, names, "worker-other", "--ready") == 1
        running.worker.handle_sig_wait_for_completion(signal.SIGTERM)

        # Not after a whole interval: the first poll after the signal beats again.
        async def draining() -> bool:
            beat = (await fleet_of(redis_url, names)).get("worker-d")
            return beat is not None and beat.draining

        await eventually(draining, "worker-d reported as draining", timeout=2.0)
        # It takes no new jobs, so it is not ready; it still beats, so it is alive.
        assert await probe(redis_url, names, "worker-d", "--ready") == 1
        assert await probe(redis_url, names, "worker-d", "--alive") == 0
    assert await fleet_of(redis_url, names) == {}
