"""Worker health tells the truth: real worker processes, real Redis, the real probes.

Two workers of one stack; one stops gracefully (a scale-down), the other stays
healthy and keeps answering; then it is SIGKILLed and leaves the fleet within its
heartbeat's TTL. Health is read as operators and orchestrators read it: the
worker's probe command (compose healthcheck, image HEALTHCHECK, Kubernetes
probes), `switchboard queues --json` and the exporter's `switchboard_worker_heartbeat`.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from switchboard.fleet import BEAT_MISSES
from switchboard.stack import LocalStack, free_port
from tests.deploy.support import tool
from tests.support.client import ChainlitClient
from tests.support.fixtures import EXAMPLES, StackFactory

GREETING = "Hello! I am the Switchboard demo. Say something."
INTERVAL = 0.5
TTL = INTERVAL * BEAT_MISSES


def _env(stack: LocalStack) -> dict[str, str]:
    return {
        **os.environ,
        "SWITCHBOARD_REDIS_URL": stack.redis_url,
        "SWITCHBOARD_REDIS_PREFIX": stack.redis_prefix,
    }


def _probe(stack: LocalStack, mode: str) -> int:
    """The worker image's probe, run as compose and Kubernetes run it (on this host)."""
    result = subprocess.run(
        [sys.executable, "-m", "switchboard_worker", mode],
        env=_env(stack),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return result.returncode


def _fleet(stack: LocalStack) -> dict[str, Any]:
    result = subprocess.run(
        [tool("switchboard"), "queues", "--json"],
        env=_env(stack),
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    workers: dict[str, Any] = json.loads(result.stdout)["workers"]
    return workers


def _pids(workers: dict[str, Any]) -> set[int]:
    return {beat["pid"] for beat in workers["fleet"]}


def _heartbeat_metric(url: str) -> float:
    with urllib.request.urlopen(f"{url}/metrics", timeout=5) as response:
        text = response.read().decode()
    (line,) = [row for row in text.splitlines() if row.startswith("switchboard_worker_heartbeat ")]
    return float(line.split()[1])


@pytest.fixture
def exporter(redis_url: str, redis_prefix: str) -> Iterator[str]:
    """`switchboard exporter` as a process, its URL once it answers."""
    port = free_port()
    env = {
        **os.environ,
        "SWITCHBOARD_REDIS_URL": redis_url,
        "SWITCHBOARD_REDIS_PREFIX": redis_prefix,
    }
    process = subprocess.Popen(
        [tool("switchboard"), "exporter", "--port", str(port), "--host", "127.0.0.1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, "exporter exited"
            try:
                urllib.request.urlopen(f"{url}/metrics", timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "exporter not answering after 30 s"
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


async def _until(check: Any, what: str, timeout: float) -> float:
    """Poll ``check`` (blocking, run in a thread) until true; the seconds it took."""
    started = time.monotonic()
    while not await asyncio.to_thread(check):
        assert time.monotonic() - started < timeout, f"{what}: not within {timeout} s"
        await asyncio.sleep(0.1)
    return time.monotonic() - started


async def _answered(client: ChainlitClient, text: str) -> None:
    mark = len(client.events)
    await client.send(text)
    await client.wait_for(
        "new_message",
        lambda m: (m.get("output") or "").startswith(f"You said: {text}"),
        since=mark,
        timeout=20,
    )
    await client.wait_for("task_end", since=mark, timeout=10)


@pytest.mark.timeout(180)
async def test_scale_down_leaves_the_other_worker_healthy_and_a_killed_one_leaves_within_its_ttl(
    make_stack: StackFactory, exporter: str, client_factory: Any
) -> None:
    stack = make_stack(
        EXAMPLES / "demo.py",
        workers=2,
        extra_env={"SWITCHBOARD_HEARTBEAT_INTERVAL": str(INTERVAL)},
    )
    first, second = stack.processes["worker-0"], stack.processes["worker-1"]
    await _until(lambda: _pids(_fleet(stack)) == {first.pid, second.pid}, "both workers beat", 30)
    assert await asyncio.to_thread(_probe, stack, "--ready") == 0
    assert await asyncio.to_thread(_probe, stack, "--alive") == 0
    assert await asyncio.to_thread(_heartbeat_metric, exporter) == 2.0

    client: ChainlitClient = client_factory(stack.url)
    await client.start()
    await client.wait_for("new_message", lambda m: m.get("output") == GREETING, timeout=20)
    await _answered(client, "before the scale-down")

    # Scale 2 -> 1: the stopping worker takes its own key away, and only its own.
    await asyncio.to_thread(stack.kill, "worker-0", signal.SIGTERM)
    workers = await asyncio.to_thread(_fleet, stack)
    assert _pids(workers) == {second.pid} and workers["live"] == 1
    # ... for good: several TTLs later the remaining worker still beats and is healthy.
    watch_until = time.monotonic() + 3 * TTL
    while time.monotonic() < watch_until:
        workers = await asyncio.to_thread(_fleet, stack)
        assert _pids(workers) == {second.pid}, workers
        (beat,) = workers["fleet"]
        assert beat["age_s"] < TTL and beat["draining"] is False
        assert await asyncio.to_thread(_probe, stack, "--ready") == 0
    assert await asyncio.to_thread(_heartbeat_metric, exporter) == 1.0
    await _answered(client, "after the scale-down")

    # A SIGKILLed worker cannot clean up: its key lapses within the TTL.
    await asyncio.to_thread(stack.kill, "worker-1", signal.SIGKILL)
    # Timed on the exporter (one HTTP scrape); the CLI's own start-up would dominate.
    took = await _until(lambda: _heartbeat_metric(exporter) == 0.0, "killed worker gone", 3 * TTL)
    assert took <= TTL + 1.0
    assert (await asyncio.to_thread(_fleet, stack))["live"] == 0
    assert await asyncio.to_thread(_probe, stack, "--ready") == 1
    # Redis answers and this host's worker stopped beating: liveness fails too.
    assert await asyncio.to_thread(_probe, stack, "--alive") == 1
