"""The database goes away, or the persistence service dies: chat goes on, no step is lost.

What the clients were shown (every step id with its last output, plus the user
messages they sent) must equal what the database holds once persistence has
caught up: every step, its final content, nothing extra, nothing stale.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import redis.asyncio as aioredis

from switchboard.names import RedisNames
from switchboard.stack import LocalStack
from switchboard_persistence.stores.chainlit_schema import CHAINLIT_SCHEMA
from tests.support.client import ChainlitClient
from tests.support.fixtures import TEST_APPS, StackFactory
from tests.support.postgres import LocalPostgres, PostgresError

APP = TEST_APPS / "steps.py"
REPLY_TIMEOUT = 45.0


@pytest.fixture
def private_postgres() -> Iterator[LocalPostgres]:
    server = LocalPostgres()
    try:
        server.create()
    except PostgresError as exc:
        server.destroy()
        pytest.fail(f"could not start a private PostgreSQL cluster: {exc}")
    yield server
    server.destroy()


@dataclass
class Chat:
    """One session chatting: what it sent and when its replies completed."""

    client: ChainlitClient
    name: str
    sent: dict[str, str] = field(default_factory=dict)
    replies: list[float] = field(default_factory=list)
    streamed: list[float] = field(default_factory=list)

    async def start(self) -> None:
        await self.client.start()
        await self.client.wait_for("new_message", lambda m: m["output"] == "ready", timeout=60)

    async def say(self, steps: int, delay: float) -> None:
        tag = f"{self.name}-{len(self.sent)}"
        mark = len(self.client.events)
        text = f"steps {steps} {tag} {delay}"
        payload = await self.client.send(text)
        self.sent[payload["message"]["id"]] = text
        await self.client.wait_for(
            "new_message",
            lambda m: m["output"] == f"{tag} done {steps}",
            since=mark,
            timeout=REPLY_TIMEOUT,
        )
        self.replies.append(time.monotonic())
        tokens = [e for e in self.client.events[mark:] if e.name == "stream_token"]
        assert tokens, f"{tag}: the reply did not stream"
        self.streamed.append(tokens[-1].at)

    def shown(self) -> tuple[set[str], dict[str, str]]:
        """The threads this session wrote to and every step it knows: id -> last output."""
        steps: dict[str, str] = {}
        threads: set[str] = set()
        for event in self.client.events:
            if event.name in ("new_message", "update_message"):
                steps[event.data["id"]] = event.data.get("output") or ""
                if event.data.get("threadId"):
                    threads.add(event.data["threadId"])
            elif event.name == "delete_message":
                steps.pop(event.data["id"], None)
        for step_id, text in self.sent.items():
            steps[step_id] = text
        return threads, steps


async def _chats(stack: LocalStack, client_factory: Any, count: int) -> list[Chat]:
    urls = stack.gateway_urls()
    chats = [
        Chat(client_factory(urls[i % len(urls)]), f"c{i}-{uuid.uuid4().hex[:6]}")
        for i in range(count)
    ]
    for batch in range(0, count, 10):
        await asyncio.gather(*(chat.start() for chat in chats[batch : batch + 10]))
    return chats


def _expected(chats: list[Chat]) -> tuple[list[str], dict[str, tuple[str, str]]]:
    threads: set[str] = set()
    steps: dict[str, tuple[str, str]] = {}
    for chat in chats:
        chat_threads, shown = chat.shown()
        assert len(chat_threads) == 1, f"{chat.name} wrote to threads {chat_threads}"
        thread = next(iter(chat_threads))
        threads.add(thread)
        for step_id, output in shown.items():
            steps[step_id] = (thread, output)
    return sorted(threads), steps


# The steps query per storage mode: Switchboard's own tables, or Chainlit's (uuid columns).
_STEPS_SQL = {
    "switchboard": "SELECT id, thread_id, output FROM steps WHERE thread_id = ANY($1::text[])",
    "chainlit": 'SELECT id::text AS id, "threadId"::text AS thread_id, output FROM steps'
    ' WHERE "threadId"::text = ANY($1::text[])',
}
_STEPS_SQL["app"] = _STEPS_SQL["chainlit"]


async def _stored(dsn: str, threads: list[str], mode: str) -> dict[str, tuple[str, str]]:
    conn = await asyncpg.connect(dsn, timeout=5)
    try:
        rows = await conn.fetch(_STEPS_SQL[mode], threads)
    finally:
        await conn.close()
    return {row["id"]: (row["thread_id"], row["output"] or "") for row in rows}


def _describe(expected: dict[str, tuple[str, str]], stored: dict[str, tuple[str, str]]) -> str:
    missing = sorted(set(expected) - set(stored))
    extra = sorted(set(stored) - set(expected))
    wrong = [
        f"{k}: shown {expected[k][1]!r}, stored {stored[k][1]!r}"
        for k in sorted(set(expected) & set(stored))
        if expected[k] != stored[k]
    ]
    return (
        f"{len(expected)} steps shown, {len(stored)} stored; missing {len(missing)} "
        f"{missing[:5]}; extra {len(extra)} {extra[:5]}; wrong {len(wrong)} {wrong[:5]}"
    )


async def _database_matches_clients(
    dsn: str, chats: list[Chat], timeout: float, mode: str = "switchboard"
) -> int:
    threads, expected = _expected(chats)
    deadline = time.monotonic() + timeout
    stored: dict[str, tuple[str, str]] = {}
    while time.monotonic() < deadline:
        try:
            stored = await _stored(dsn, threads, mode)
        except (OSError, asyncpg.PostgresError):
            stored = {}
        if stored == expected:
            return len(expected)
        await asyncio.sleep(0.5)
    raise AssertionError(
        "database differs from what clients were shown: " + _describe(expected, stored)
    )


async def _no_dead_letters(stack: LocalStack) -> None:
    client = aioredis.Redis.from_url(stack.redis_url)
    try:
        dead = await client.xlen(RedisNames(stack.redis_prefix).persist_dead)
    finally:
        await client.aclose()
    assert dead == 0, f"{dead} persistence entries were dead-lettered"


async def _backlog(stack: LocalStack) -> int:
    """Persistence entries not yet committed: pending (read, not acked) plus unread."""
    client = aioredis.Redis.from_url(stack.redis_url)
    try:
        groups = await client.xinfo_groups(RedisNames(stack.redis_prefix).persist_stream)
    finally:
        await client.aclose()
    return sum(int(g["pending"]) + int(g.get("lag") or 0) for g in groups)


async def _backlog_builds_up(stack: LocalStack, timeout: float = 10.0) -> int:
    """The backlog once steps produced while persistence is down have queued up (or 0)."""
    deadline = time.monotonic() + timeout
    while True:
        backlog = await _backlog(stack)
        if backlog or time.monotonic() > deadline:
            return backlog
        await asyncio.sleep(0.1)


def _logged(stack: LocalStack, name: str, event: str) -> bool:
    assert stack.log_dir is not None
    for raw in (stack.log_dir / f"{name}.log").read_text(errors="replace").splitlines():
        try:
            if json.loads(raw).get("event") == event:
                return True
        except ValueError:
            continue
    return False


async def _stack_for(
    mode: str, make_stack: StackFactory, server: LocalPostgres, tmp_path: Path
) -> LocalStack:
    """A stack storing conversations in ``server``: Switchboard's schema, Chainlit's, or
    through the app's own data layer (Chainlit's SQLAlchemy layer on Chainlit's tables).

    In chainlit and app modes the server holds a database Chainlit's tables were made in
    (as an app's would be) and Switchboard's own rows (uploads) live in SQLite beside it.
    """
    if mode == "switchboard":
        return make_stack(APP, database_url=server.url, gateways=2, workers=2)

    conn = await asyncpg.connect(server.dsn, timeout=10)
    try:
        await conn.execute(CHAINLIT_SCHEMA)
    finally:
        await conn.close()
    if mode == "chainlit":
        env = {
            "SWITCHBOARD_PERSISTENCE_SCHEMA": "chainlit",
            "SWITCHBOARD_CHAINLIT_DATABASE_URL": server.url,
        }
    else:
        env = {"SWITCHBOARD_PERSISTENCE_SCHEMA": "app", "TEST_APP_DATA_LAYER_URL": server.url}
    return make_stack(
        APP,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'own.db'}",
        gateways=2,
        workers=2,
        extra_env=env,
    )


@pytest.mark.parametrize("mode", ["switchboard", "chainlit", "app"])
async def test_database_outage_chat_goes_on_and_every_step_lands_after(
    make_stack: StackFactory,
    client_factory: Any,
    private_postgres: LocalPostgres,
    tmp_path: Path,
    mode: str,
) -> None:
    stack = await _stack_for(mode, make_stack, private_postgres, tmp_path)
    chats = await _chats(stack, client_factory, 8)
    stop = asyncio.Event()

    async def chatting(chat: Chat) -> None:
        while not stop.is_set():
            await chat.say(steps=4, delay=0.05)

    loops = [asyncio.create_task(chatting(chat)) for chat in chats]
    await asyncio.sleep(2.0)
    await asyncio.to_thread(private_postgres.stop, "immediate")
    down_at = time.monotonic()
    await asyncio.sleep(20.0)
    await asyncio.to_thread(private_postgres.start)
    up_at = time.monotonic()
    await asyncio.sleep(2.0)
    stop.set()
    await asyncio.gather(*loops)

    # The chat kept working (and streaming) while the database was away.
    for chat in chats:
        during = [t for t in chat.streamed if down_at + 1 < t < up_at]
        assert len(during) >= 3, f"{chat.name}: {len(during)} streamed replies during the outage"
    assert _logged(stack, "persistence", "database unavailable; batch kept pending and retried")

    await _database_matches_clients(private_postgres.dsn, chats, timeout=40, mode=mode)
    assert _logged(stack, "persistence", "database available again")
    await _no_dead_letters(stack)


@pytest.mark.timeout(300)
@pytest.mark.parametrize(("mode", "sessions"), [("switchboard", 50), ("chainlit", 10), ("app", 10)])
async def test_persistence_killed_twice_and_database_stopped_while_sessions_chat(
    make_stack: StackFactory,
    client_factory: Any,
    private_postgres: LocalPostgres,
    tmp_path: Path,
    mode: str,
    sessions: int,
) -> None:
    stack = await _stack_for(mode, make_stack, private_postgres, tmp_path)
    chats = await _chats(stack, client_factory, sessions)
    stop = asyncio.Event()

    async def chatting(chat: Chat) -> None:
        # Each reply is 4 tool steps, the run step, the user message and the answer.
        while not stop.is_set():
            await chat.say(steps=4, delay=1.0)

    loops = [asyncio.create_task(chatting(chat)) for chat in chats]

    def replies() -> int:
        return sum(len(c.replies) for c in chats)

    async def replies_reach(count: int) -> None:
        while replies() < count:
            assert not any(loop.done() for loop in loops), "a session stopped chatting"
            await asyncio.sleep(0.05)

    pids = [stack.processes["persistence"].pid]
    backlogs = []
    for count in (sessions, sessions * 12 // 5):
        await replies_reach(count)
        await asyncio.to_thread(stack.kill, "persistence", signal.SIGKILL)
        backlogs.append(await _backlog_builds_up(stack))
        await asyncio.to_thread(stack.restart, "persistence", signal.SIGKILL)
        pids.append(stack.processes["persistence"].pid)
    # Then PostgreSQL goes away for 20 s while the sessions go on chatting.
    await replies_reach(sessions * 18 // 5)
    await asyncio.to_thread(private_postgres.stop, "immediate")
    before = replies()
    await asyncio.sleep(20.0)
    during = replies() - before
    await asyncio.to_thread(private_postgres.start)
    await asyncio.sleep(2.0)
    stop.set()
    await asyncio.gather(*loops)
    assert len(set(pids)) == 3, "persistence was not restarted twice"
    assert all(backlogs), f"a kill left nothing to catch up on: {backlogs}"
    assert during >= sessions, f"only {during} replies while PostgreSQL was stopped"

    count = await _database_matches_clients(private_postgres.dsn, chats, timeout=90, mode=mode)
    assert count >= sessions * 40
    await _no_dead_letters(stack)
