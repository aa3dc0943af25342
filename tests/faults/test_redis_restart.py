"""Redis restarts empty under a running stack: services reconnect, clients are told.

The stack runs on a private ``redis-server`` (never the shared one other tests
use). Restarting it without persistence loses every session, stream and queue.
While it is down, client events get ``error`` ``unavailable``; once it is back,
clients whose session state is gone get ``error`` ``session_expired`` and are
disconnected, never left waiting; a reconnect starts a new session, and chat,
stop and asks work again, without any service being restarted.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from switchboard.stack import LocalRedis, LocalStack, StackError
from tests.support.client import ChainlitClient
from tests.support.fixtures import TEST_APPS, StackFactory

APP = TEST_APPS / "distributed.py"
TOKENS = 60
# What each service logs when its Redis work succeeds again after an outage.
RECOVERED = ("redis available again", "persistence consumer recovered")


@pytest.fixture
def private_redis() -> Iterator[LocalRedis]:
    server = LocalRedis()
    try:
        server.start()
    except StackError as exc:
        pytest.fail(f"could not start a private redis-server: {exc}")
    yield server
    server.stop()


@pytest.fixture
def redis_url(private_redis: LocalRedis) -> str:
    """The stack (and the key cleanup) use the private server, not the shared one."""
    return private_redis.url


def _assistant(text: str) -> Any:
    return lambda m: m.get("type") == "assistant_message" and m.get("output") == text


async def _ready(client: ChainlitClient) -> None:
    await client.start()
    await client.wait_for("new_message", _assistant("ready"), timeout=30)
    await client.wait_for("task_end", since=len(client.events) - 1, timeout=10)


async def _disconnected(client: ChainlitClient, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while client.sio.connected:
        assert time.monotonic() < deadline, "the gateway kept a socket whose session is gone"
        await asyncio.sleep(0.05)


def _log_lines(stack: LocalStack, name: str) -> list[dict[str, Any]]:
    assert stack.log_dir is not None
    path: Path = stack.log_dir / f"{name}.log"
    lines = []
    for raw in path.read_text(errors="replace").splitlines():
        try:
            lines.append(json.loads(raw))
        except ValueError:
            continue
    return lines


async def _all_logged_recovery(stack: LocalStack, since: float, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        missing = [
            name
            for name in stack.processes
            if not any(
                line.get("event") in RECOVERED and line.get("ts", 0) >= since
                for line in _log_lines(stack, name)
            )
        ]
        if not missing:
            return
        assert time.monotonic() < deadline, f"no reconnect in the logs of {missing}"
        await asyncio.sleep(0.25)


def _ready_status(url: str) -> int:
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=2) as response:
            status: int = response.status
            return status
    except OSError as exc:
        return getattr(exc, "code", 0)


async def _all_ready(stack: LocalStack, timeout: float) -> None:
    urls = {name: stack.ops_url(name) for name in stack.ports}
    deadline = time.monotonic() + timeout
    while True:
        statuses = {n: await asyncio.to_thread(_ready_status, u) for n, u in urls.items()}
        if all(status == 200 for status in statuses.values()):
            return
        assert time.monotonic() < deadline, f"not ready after the restart: {statuses}"
        await asyncio.sleep(0.25)


def _tokens(client: ChainlitClient, since: int) -> list[str]:
    out = []
    for event in client.events[since:]:
        if event.name == "stream_start":
            out.append(event.data["output"])
        elif event.name == "stream_token":
            out.append(event.data["token"])
    return out


async def _stored(database: Path, output: str, timeout: float) -> None:
    """Wait until the persistence service has committed a step with this output."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.closing(sqlite3.connect(database, timeout=5)) as conn:
            rows = conn.execute("SELECT COUNT(*) FROM steps WHERE output = ?", (output,)).fetchone()
        if rows[0] == 1:
            return
        assert time.monotonic() < deadline, f"step {output!r} not persisted after the restart"
        await asyncio.sleep(0.25)


async def test_redis_restart_mid_stream_every_service_reconnects_and_clients_start_over(
    make_stack: StackFactory, client_factory: Any, private_redis: LocalRedis, tmp_path: Path
) -> None:
    database = tmp_path / "stack.db"
    stack = make_stack(APP, gateways=2, workers=2, database_url=f"sqlite+aiosqlite:///{database}")
    pids = {name: process.pid for name, process in stack.processes.items()}
    first_url, second_url = stack.gateway_urls()

    idle: ChainlitClient = client_factory(first_url)
    await _ready(idle)
    streaming: ChainlitClient = client_factory(second_url)
    await _ready(streaming)
    mark = len(streaming.events)
    await streaming.send(f"slow {TOKENS}")
    await streaming.wait_for("stream_token", since=mark, timeout=15)
    await asyncio.sleep(0.3)

    restarted_at = time.time()
    await asyncio.to_thread(private_redis.stop)
    # A message sent while Redis is away is refused out loud, not dropped.
    refused_mark = len(idle.events)
    await idle.send("while redis is down")
    refused = await idle.wait_for("error", since=refused_mark, timeout=10)
    assert refused.data["code"] == "unavailable", refused.data
    assert refused.data["event"] == "client_message"
    await asyncio.sleep(2.0)  # down long enough for every service's loop to notice
    await asyncio.to_thread(private_redis.start)  # same port, empty

    # Both clients are told their session is gone, then hung up on: no silent hang.
    for client in (idle, streaming):
        expired = await client.wait_for(
            "error", lambda e: e.get("code") == "session_expired", timeout=20
        )
        assert "reconnect" in expired.data["message"].lower()
        await _disconnected(client)

    # What streamed before the loss arrived in order, once; the reply either
    # completed or the session_expired error above reported it.
    tokens = _tokens(streaming, mark)
    assert tokens == [f"{i} " for i in range(len(tokens))]
    assert len(tokens) >= 2

    # Nothing was restarted, and every service says it got Redis back.
    for name, process in stack.processes.items():
        assert process.poll() is None, f"{name} exited"
        assert process.pid == pids[name], f"{name} was restarted"
    await _all_logged_recovery(stack, restarted_at, timeout=20)
    await _all_ready(stack, timeout=15)

    # Chainlit's client reconnects with the same session id: a new session starts.
    again: ChainlitClient = client_factory(first_url, auth=dict(idle.auth))

    async def answer(data: Any, event_id: Any = None) -> dict[str, Any]:
        return {"id": "2d0f4b1e-5b0e-4b8e-9a53-1f3f1f0f7e11", "output": "bob", "name": "User"}

    again.answer_asks(answer)
    await _ready(again)
    mark = len(again.events)
    await again.send("hello")
    await again.wait_for("new_message", _assistant("echo hello"), since=mark, timeout=15)
    # Persistence consumes the new stream (its consumer group is created again).
    await _stored(database, "echo hello", timeout=20)

    # An ask round-trips (the worker blocks on the answer list of the new Redis).
    mark = len(again.events)
    await again.send("ask")
    await again.wait_for("new_message", _assistant("hello bob"), since=mark, timeout=15)

    # Stop reaches whichever worker runs the callback (control channel resubscribed).
    moved: ChainlitClient = client_factory(second_url, auth=dict(streaming.auth))
    await _ready(moved)
    mark = len(moved.events)
    await moved.send("slow 100")
    await moved.wait_for("stream_token", since=mark, timeout=15)
    await moved.emit("stop")
    await moved.wait_for("new_message", _assistant("Task manually stopped."), since=mark)
    await moved.wait_for("new_message", _assistant("on_stop called"), since=mark)
    assert not [
        e
        for e in moved.events[mark:]
        if e.name == "new_message" and e.data["output"].startswith("slow done")
    ]
    mark = len(moved.events)
    await moved.send("hi")
    await moved.wait_for("new_message", _assistant("echo hi"), since=mark, timeout=15)
    ids = [e.event_id for c in (again, moved) for e in c.events if e.event_id is not None]
    assert len(ids) == len(set(ids)), "an event was delivered twice"
