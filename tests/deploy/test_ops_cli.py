"""`switchboard queues|sessions|dead-letters` against a real Redis and real services."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
from typing import Any

import orjson
import redis

from switchboard.names import RedisNames
from tests.deploy.support import tool
from tests.support.client import ChainlitClient
from tests.support.fixtures import EXAMPLES, StackFactory

GREETING = "Hello! I am the Switchboard demo. Say something."


def _cli(redis_url: str, prefix: str, *args: str, expect: int = 0) -> Any:
    env = {**os.environ, "SWITCHBOARD_REDIS_URL": redis_url, "SWITCHBOARD_REDIS_PREFIX": prefix}
    result = subprocess.run(
        [tool("switchboard"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == expect, result.stdout + result.stderr
    return json.loads(result.stdout) if "--json" in args else result.stdout


async def _cli_async(redis_url: str, prefix: str, *args: str) -> Any:
    return await asyncio.to_thread(_cli, redis_url, prefix, *args)


async def test_queues_show_a_backlog_without_workers_that_drains_when_one_starts(
    make_stack: StackFactory, redis_url: str, redis_prefix: str, client_factory: Any
) -> None:
    stack = make_stack(EXAMPLES / "demo.py", workers=0)
    client: ChainlitClient = client_factory(stack.url)
    await client.start()

    deadline = time.monotonic() + 10
    report = await _cli_async(redis_url, redis_prefix, "queues", "--json")
    while report["waiting"] == 0 and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        report = await _cli_async(redis_url, redis_prefix, "queues", "--json")
    assert report["queue"] == RedisNames(redis_prefix).queue
    assert report["depth"] >= 1 and report["waiting"] >= 1 and report["in_progress"] == 0
    assert report["workers"] == {"live": 0, "draining": 0, "jobs_running": 0, "fleet": []}
    await asyncio.sleep(0.3)
    aged = await _cli_async(redis_url, redis_prefix, "queues", "--json")
    assert aged["oldest_waiting_s"] >= 0.3
    table = await _cli_async(redis_url, redis_prefix, "queues")
    assert "waiting for a worker" in table
    (alive_row,) = [line for line in table.splitlines() if "workers alive" in line]
    assert "NONE" in alive_row

    sessions = await _cli_async(redis_url, redis_prefix, "sessions", "--json")
    assert sessions["live"] >= 1

    await asyncio.to_thread(stack.start_worker, 0)
    await client.wait_for("new_message", lambda m: m.get("output") == GREETING, timeout=20)
    deadline = time.monotonic() + 15
    report = await _cli_async(redis_url, redis_prefix, "queues", "--json")
    while report["depth"] > 0 and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        report = await _cli_async(redis_url, redis_prefix, "queues", "--json")
    assert report["depth"] == 0 and report["waiting"] == 0
    assert report["workers"]["live"] == 1
    (worker,) = report["workers"]["fleet"]
    assert worker["pid"] == stack.processes["worker-0"].pid and worker["draining"] is False
    table = await _cli_async(redis_url, redis_prefix, "queues")
    assert worker["id"] in table and "taking jobs" in table


def _dead_letter(client: redis.Redis, names: RedisNames, event: dict[str, Any], error: str) -> str:
    entry_id = client.xadd(
        names.persist_dead, {"e": orjson.dumps(event), "error": error, "stream_id": "1-0"}
    )
    return entry_id.decode()


def test_dead_letters_list_and_replay(redis_url: str, redis_prefix: str) -> None:
    names = RedisNames(redis_prefix)
    client = redis.Redis.from_url(redis_url)
    try:
        first = _dead_letter(
            client, names, {"type": "step_upsert", "session_id": "s-1", "v": 1}, "IntegrityError: x"
        )
        second = _dead_letter(
            client, names, {"type": "feedback_upsert", "session_id": "s-2"}, "boom"
        )

        rows = _cli(redis_url, redis_prefix, "dead-letters", "list", "--json")
        assert [(r["id"], r["type"], r["session_id"]) for r in rows] == [
            (first, "step_upsert", "s-1"),
            (second, "feedback_upsert", "s-2"),
        ]
        assert rows[0]["error"] == "IntegrityError: x" and rows[0]["stream_id"] == "1-0"
        assert first in _cli(redis_url, redis_prefix, "dead-letters", "list")

        result = _cli(redis_url, redis_prefix, "dead-letters", "replay", first, "--json")
        assert result == {"replayed": [first], "not_found": []}
        replayed = client.xrange(names.persist_stream)
        assert len(replayed) == 1
        assert orjson.loads(replayed[0][1][b"e"]) == {
            "type": "step_upsert",
            "session_id": "s-1",
            "v": 1,
        }
        assert [e[0].decode() for e in client.xrange(names.persist_dead)] == [second]

        _cli(redis_url, redis_prefix, "dead-letters", "replay", "1-1", expect=1)
        _cli(redis_url, redis_prefix, "dead-letters", "replay", expect=2)
        _cli(redis_url, redis_prefix, "dead-letters", "replay", "--all")
        assert client.xlen(names.persist_dead) == 0
        assert client.xlen(names.persist_stream) == 2
    finally:
        client.close()


def test_migrate_upgrades_both_databases_and_is_idempotent(postgres_url: str) -> None:
    env = {
        **os.environ,
        "SWITCHBOARD_DATABASE_URL": postgres_url,
        "SWITCHBOARD_AUTH_DATABASE_URL": postgres_url,
    }
    for _ in range(2):
        result = subprocess.run(
            [tool("switchboard"), "migrate"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "databases are up to date" in result.stdout
    tables = asyncio.run(_tables(postgres_url))
    assert {"users", "threads", "steps", "elements", "feedbacks", "files"} <= tables


async def _tables(url: str) -> set[str]:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    finally:
        await conn.close()
    return {row["tablename"] for row in rows}


def test_migrate_reports_a_database_it_cannot_reach() -> None:
    env = {
        **os.environ,
        "SWITCHBOARD_DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:1/none",
        "SWITCHBOARD_AUTH_DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:1/none",
    }
    result = subprocess.run(
        [tool("switchboard"), "migrate"], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "migration failed" in result.stderr
