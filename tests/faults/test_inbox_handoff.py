"""A worker SIGKILLed at each point of taking an input: no input is ever lost.

Each case starts a worker armed to kill itself at one point (see
``switchboard.failpoints``) on the user's message, then a healthy one. The
message must end answered or reported failed (shown and stored), never silently
gone; the dead worker's job must leave the queue at once, and the session must
go on.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

import pytest
import redis.asyncio as aioredis

from switchboard.names import RedisNames
from switchboard.stack import LocalStack
from tests.support.client import ChainlitClient
from tests.support.fixtures import TEST_APPS, StackFactory

PLAIN = TEST_APPS / "distributed.py"
RETRY_SAFE = TEST_APPS / "retry_safe.py"
LOST = "stopped unexpectedly. Please try again."
RETRIED = "stopped unexpectedly; running it again."
LOCK_TTL_MS = 2000


@dataclass(frozen=True)
class Case:
    app: str
    point: str
    # The hit of the failpoint that kills: the chat start passes the drain points once.
    hit: int
    text: str
    reply: str
    outcome: str  # "answered" or "failed"


CASES = [
    # Lock taken, nothing popped: the input is still in the inbox.
    Case("plain", "drain.locked", 2, "hi", "echo hi", "answered"),
    # Popped into ``current`` before anything ran: reported, since it may not run twice.
    Case("plain", "drain.popped", 2, "hi", "echo hi", "failed"),
    # Ran and answered, not yet cleared: the answer stands.
    Case("plain", "drain.handled", 2, "hi", "echo hi", "answered"),
    Case("retry", "drain.locked", 2, "hi", "echo hi", "answered"),
    # Safe to repeat: runs on the next worker as if nothing happened.
    Case("retry", "drain.popped", 2, "hi", "echo hi", "answered"),
    # Killed mid-stream: the half-shown run is marked, then the message runs again.
    Case("retry", "app.streaming", 1, "slow", "slow done", "answered"),
    Case("retry", "drain.handled", 2, "hi", "echo hi", "answered"),
]


def _stored_steps(stack: LocalStack, thread_id: str) -> list[tuple[str, str, int | None]]:
    path = stack.database_url.split("///", 1)[1]
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT name, coalesce(output, ''), is_error FROM steps WHERE thread_id = ?",
            (thread_id,),
        ).fetchall()
    return [(str(n), str(o), e) for n, o, e in rows]


async def _until(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not within {timeout} s: {what}")


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.app}-{c.point}")
async def test_a_worker_killed_while_taking_an_input_loses_nothing(
    case: Case,
    make_stack: StackFactory,
    client_factory: Any,
    redis_client: aioredis.Redis,
    redis_prefix: str,
) -> None:
    app = PLAIN if case.app == "plain" else RETRY_SAFE
    stack = make_stack(app, workers=0, extra_env={"SWITCHBOARD_LOCK_TTL_MS": str(LOCK_TTL_MS)})
    names = RedisNames(redis_prefix)
    armed = stack.start_worker(0, env={"SWITCHBOARD_FAILPOINTS": f"{case.point}@{case.hit}"})
    client: ChainlitClient = client_factory(stack.url)
    await client.start()
    await client.wait_for("new_message", lambda m: m["output"] == "ready", timeout=20)
    sid = client.session_id

    async def released() -> bool:
        return not await redis_client.exists(names.lock(sid))

    # The chat start's drain is over, so the message takes the lock afresh.
    await _until(released, 10, "the chat start's lock is released")
    mark = len(client.events)
    await client.send(case.text)
    await asyncio.to_thread(stack.processes[armed].wait, 20)
    assert stack.processes[armed].returncode == -9, "the armed worker did not die at its point"
    stack.start_worker(1)

    if case.outcome == "answered":
        await client.wait_for(
            "new_message", lambda m: m["output"] == case.reply, since=mark, timeout=30
        )
    else:
        failure = await client.wait_for(
            "new_message", lambda m: LOST in m["output"], since=mark, timeout=30
        )
        assert failure.data["isError"] is True
    await client.wait_for("task_end", since=mark, timeout=30)
    shown = [e.data for e in client.events[mark:] if e.name in ("new_message", "update_message")]
    if case.point == "app.streaming":
        # The first run's step is marked, not left spinning.
        assert any(RETRIED in (s.get("output") or "") and s.get("isError") for s in shown)
    if case.outcome == "failed":
        assert not [s for s in shown if s.get("output") == case.reply]

    async def settled() -> bool:
        async with redis_client.pipeline(transaction=False) as pipe:
            pipe.exists(names.current(sid), names.lock(sid))
            pipe.llen(names.inbox(sid))
            pipe.zcard(names.queue)
            left, waiting, queued = await pipe.execute()
        return int(left) == 0 and int(waiting) == 0 and int(queued) == 0

    # The dead worker's job is off the queue (arq alone would count it for an hour).
    await _until(settled, 15, "current, lock, inbox and queue are empty")

    thread_id = next(s["threadId"] for s in shown if s.get("threadId"))

    def stored_outcome() -> bool:
        steps = _stored_steps(stack, thread_id)
        if case.outcome == "failed":
            return any(LOST in out and err for _, out, err in steps)
        return any(out == case.reply for _, out, _ in steps)

    async def persisted() -> bool:
        return await asyncio.to_thread(stored_outcome)

    await _until(persisted, 15, f"the thread stores the {case.outcome} outcome")

    # And the session goes on, on the healthy worker.
    mark = len(client.events)
    await client.send("after")
    await client.wait_for(
        "new_message", lambda m: m["output"] == "echo after", since=mark, timeout=15
    )


def _stored_ids(stack: LocalStack, thread_id: str) -> set[str]:
    path = stack.database_url.split("///", 1)[1]
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT id FROM steps WHERE thread_id = ?", (thread_id,)).fetchall()
    return {str(row[0]) for row in rows}


async def test_a_step_shown_before_its_worker_died_is_stored(
    make_stack: StackFactory, client_factory: Any
) -> None:
    """A worker killed between storing a step and showing it: what the user saw is stored."""
    stack = make_stack(RETRY_SAFE, workers=0, extra_env={"SWITCHBOARD_LOCK_TTL_MS": "2000"})
    # Hits: the chat start shows its run step, the greeting and the run step ended (1-3);
    # then the run step of on_message (4) and the tool step starting (5).
    armed = stack.start_worker(0, env={"SWITCHBOARD_FAILPOINTS": "step.stored@5"})
    client: ChainlitClient = client_factory(stack.url)
    await client.start()
    await client.wait_for("new_message", lambda m: m["output"] == "ready", timeout=20)
    mark = len(client.events)
    await client.send("tool")
    await asyncio.to_thread(stack.processes[armed].wait, 20)
    assert stack.processes[armed].returncode == -9, "the armed worker did not die at its point"
    stack.start_worker(1)
    await client.wait_for(
        "new_message", lambda m: m["output"] == "tool done", since=mark, timeout=30
    )
    await client.wait_for("task_end", since=mark, timeout=30)
    shown = {
        str(e.data["id"]): e.data
        for e in client.events
        if e.name in ("new_message", "update_message") and isinstance(e.data, dict)
    }
    assert any(s.get("name") == "count_words" for s in shown.values())
    thread_id = next(s["threadId"] for s in shown.values() if s.get("threadId"))

    async def all_stored() -> bool:
        return set(shown) <= await asyncio.to_thread(_stored_ids, stack, thread_id)

    await _until(all_stored, 15, "every step the user was shown is stored")
