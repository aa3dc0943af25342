"""user_session keeps what the app changed in place, on any worker, across worker loss."""

from __future__ import annotations

import asyncio
import itertools
import signal
from typing import Any

from tests.support.client import ChainlitClient
from tests.support.fixtures import TEST_APPS, StackFactory

APP = TEST_APPS / "history_app.py"


async def _say(client: ChainlitClient, text: str) -> dict[str, str]:
    since = len(client.events)
    await client.send(text)
    reply = await client.wait_for(
        "new_message", lambda m: "messages so far" in m["output"], since=since, timeout=30
    )
    # What the callback changed is stored before its task_end is sent.
    await client.wait_for("task_end", since=client.events.index(reply) + 1, timeout=30)
    count, turns, initials, note, pid = reply.data["output"].split("; ")
    return {
        "count": count.split()[0],
        "turns": turns.removeprefix("turns="),
        "initials": initials.removeprefix("initials="),
        "note": note,
        "pid": pid.removeprefix("pid="),
    }


async def _started(client: ChainlitClient) -> None:
    await client.start()
    run = await client.wait_for(
        "update_message", lambda m: m.get("name") == "on_chat_start", timeout=30
    )
    await client.wait_for("task_end", since=client.events.index(run) + 1, timeout=30)


def _holder(stack: Any, pid: str) -> str:
    return next(
        n for n, p in stack.processes.items() if n.startswith("worker") and str(p.pid) == pid
    )


async def test_values_changed_in_place_are_kept_over_ten_messages(
    make_stack: StackFactory, client_factory: Any
) -> None:
    stack = make_stack(APP, workers=2)
    client: ChainlitClient = client_factory(stack.url)
    await _started(client)
    answers = [await _say(client, f"{chr(97 + i)} message") for i in range(10)]
    assert [a["count"] for a in answers] == [str(i) for i in range(1, 11)]
    assert [a["turns"] for a in answers] == [str(i) for i in range(1, 11)]
    assert answers[-1]["initials"] == "abcdefghij"


async def test_session_moved_between_workers_keeps_everything_that_travels(
    make_stack: StackFactory, client_factory: Any
) -> None:
    stack = make_stack(APP, workers=2)
    client: ChainlitClient = client_factory(stack.url)
    await _started(client)
    answers = [await _say(client, f"{chr(97 + i)}") for i in range(3)]
    first = _holder(stack, answers[-1]["pid"])
    # A graceful stop (a scale-down or a deploy): the session goes on elsewhere.
    stack.kill(first, signal.SIGTERM)
    answers += [await _say(client, f"{chr(100 + i)}") for i in range(3)]
    second = _holder(stack, answers[-1]["pid"])
    assert second != first
    stack.start_worker(int(first.rsplit("-", 1)[1]))
    await asyncio.sleep(2)
    stack.kill(second, signal.SIGTERM)
    answers += [await _say(client, f"{chr(103 + i)}") for i in range(4)]
    assert [a["count"] for a in answers] == [str(i) for i in range(1, 11)]
    assert answers[-1]["initials"] == "abcdefghij"
    assert len({a["pid"] for a in answers}) == 3
    # The in-process client stays in the worker that made it: a worker that never
    # ran the session rebuilds it, one that keeps running it keeps it.
    assert answers[6]["note"] == "client rebuilt"
    for before, after in itertools.pairwise(answers):
        if after["pid"] == before["pid"]:
            assert after["note"] == "client kept", answers


async def test_worker_killed_between_messages_loses_nothing_saved(
    make_stack: StackFactory, client_factory: Any
) -> None:
    stack = make_stack(APP, workers=1, extra_env={"SWITCHBOARD_LOCK_TTL_MS": "3000"})
    client: ChainlitClient = client_factory(stack.url)
    await _started(client)
    answers = [await _say(client, f"{chr(97 + i)}") for i in range(5)]
    stack.kill("worker-0", signal.SIGKILL)
    stack.start_worker(1)
    answers += [await _say(client, f"{chr(102 + i)}") for i in range(5)]
    assert [a["count"] for a in answers] == [str(i) for i in range(1, 11)]
    assert answers[-1]["initials"] == "abcdefghij"
    assert answers[4]["note"] == "client kept"
    # The answer tells the in-process value was gone after the crash.
    assert answers[5]["note"] == "client rebuilt"
    assert answers[5]["pid"] != answers[4]["pid"]
