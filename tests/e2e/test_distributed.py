"""Chainlit semantics across 2 gateways and 2 workers, each its own process."""

from __future__ import annotations

import asyncio
import signal
import uuid
from typing import Any

import httpx
import pytest

from tests.support.client import ChainlitClient
from tests.support.fixtures import TEST_APPS, StackFactory

APP = TEST_APPS / "distributed.py"


def _assistant(text: str) -> Any:
    return lambda m: m.get("type") == "assistant_message" and m.get("output") == text


def _assistant_prefix(prefix: str) -> Any:
    return lambda m: (
        m.get("type") == "assistant_message" and (m.get("output") or "").startswith(prefix)
    )


async def _ready(client: ChainlitClient) -> None:
    await client.start()
    await client.wait_for("new_message", _assistant("ready"), timeout=20)
    await client.wait_for("task_end", since=len(client.events) - 1)


@pytest.fixture
def stack(make_stack: StackFactory) -> Any:
    return make_stack(APP, workers=2, gateways=2)


async def test_ask_answered_through_the_other_gateway(stack: Any, client_factory: Any) -> None:
    first_url, second_url = stack.gateway_urls()
    client: ChainlitClient = client_factory(first_url)
    await _ready(client)
    await client.send("ask")
    asked = await client.wait_for("ask", timeout=10)
    assert asked.data["spec"]["type"] == "text"
    assert asked.data["msg"]["output"] == "name?"
    await client.close()  # gone without answering

    moved: ChainlitClient = client_factory(second_url, auth=dict(client.auth))
    answers: list[Any] = []

    async def answer(data: Any, *_: Any) -> dict[str, Any]:
        reply = {"id": "9d5f6a52-5b0e-4b8e-9a53-1f3f1f0f7e11", "output": "bob", "name": "User"}
        answers.append(data)
        return reply

    moved.answer_asks(answer)
    await moved.start()
    await moved.wait_for("new_message", _assistant("hello bob"), timeout=15)
    assert answers and answers[0]["msg"]["output"] == "name?"


async def test_ask_timeout_and_bad_answers(stack: Any, client_factory: Any) -> None:
    client: ChainlitClient = client_factory(stack.url)
    replies: list[Any] = [{"not": "a step"}]

    async def answer(data: Any, *_: Any) -> Any:
        return replies.pop(0) if replies else None

    client.answer_asks(answer)
    await _ready(client)
    mark = len(client.events)
    await client.send("ask-short")
    error = await client.wait_for("error", since=mark, timeout=10)
    assert error.data["code"] == "invalid_answer"
    await client.wait_for("ask_timeout", since=mark, timeout=10)
    await client.wait_for("new_message", _assistant("short timeout"), since=mark, timeout=10)

    # An answer that comes after the ask timed out is refused and changes nothing.
    late: list[Any] = []

    async def late_answer(data: Any, *_: Any) -> Any:
        late.append(data)
        await asyncio.sleep(2.0)
        return {"id": str(uuid.uuid4()), "output": "too late", "name": "User"}

    client.answer_asks(late_answer)
    mark = len(client.events)
    await client.send("ask-short")
    await client.wait_for("new_message", _assistant("short timeout"), since=mark, timeout=10)
    stale = await client.wait_for("error", since=mark, timeout=10)
    assert stale.data["code"] == "unknown_ask" and late
    assert not any(
        e.name == "new_message" and e.data["output"] == "short too late"
        for e in client.events[mark:]
    )


async def test_stop_cancels_the_callback_wherever_it_runs(stack: Any, client_factory: Any) -> None:
    client: ChainlitClient = client_factory(stack.gateway_urls()[1])
    await _ready(client)
    mark = len(client.events)
    await client.send("slow 100")
    await client.wait_for("stream_token", since=mark, timeout=10)
    await client.emit("stop")
    await client.wait_for("new_message", _assistant("Task manually stopped."), since=mark)
    await client.wait_for("new_message", _assistant("on_stop called"), since=mark)
    await asyncio.sleep(1.0)
    assert not [
        e
        for e in client.events[mark:]
        if e.name == "new_message" and e.data["output"].startswith("slow done")
    ]
    # The session keeps working after a stop.
    mark = len(client.events)
    await client.send("hi")
    await client.wait_for("new_message", _assistant("echo hi"), since=mark, timeout=10)


async def test_double_texting_is_processed_in_order(stack: Any, client_factory: Any) -> None:
    client: ChainlitClient = client_factory(stack.url)
    await _ready(client)
    mark = len(client.events)
    await client.send("slow 5")
    await client.send("second")
    await client.send("third")
    third = await client.wait_for("new_message", _assistant("echo third"), since=mark, timeout=20)
    await client.wait_for("task_end", since=client.events.index(third))
    outputs = [
        e.data["output"]
        for e in client.events[mark:]
        if e.name == "new_message"
        and e.data["type"] == "assistant_message"
        and not e.data.get("streaming")
    ]
    assert outputs == ["slow done 5", "echo second", "echo third"]
    names = client.names(mark)
    # Three task windows, never overlapping.
    starts = [i for i, n in enumerate(names) if n == "task_start"]
    ends = [i for i, n in enumerate(names) if n == "task_end"]
    assert len(starts) == len(ends) == 3
    assert all(s < e for s, e in zip(starts, ends, strict=True))
    assert all(e < s for e, s in zip(ends, starts[1:], strict=False))


async def test_user_session_json_values_follow_the_session_to_another_worker(
    make_stack: StackFactory, client_factory: Any
) -> None:
    stack = make_stack(APP, workers=1)
    client: ChainlitClient = client_factory(stack.url)
    await _ready(client)
    pids = []
    for expected in (1, 2):
        mark = len(client.events)
        await client.send("count")
        reply = await client.wait_for(
            "new_message", _assistant_prefix(f"count={expected} "), since=mark
        )
        pids.append(reply.data["output"].split("pid=")[1])
    new_worker = stack.start_worker(1)
    await asyncio.sleep(1.0)
    stack.kill("worker-0", signal.SIGTERM)
    for expected in (3, 4):
        mark = len(client.events)
        await client.send("count")
        reply = await client.wait_for(
            "new_message", _assistant_prefix(f"count={expected} "), since=mark, timeout=15
        )
        pids.append(reply.data["output"].split("pid=")[1])
    assert new_worker == "worker-1"
    assert pids[0] == pids[1] != pids[2] == pids[3]

    mark = len(client.events)
    await client.send("history")
    reply = await client.wait_for("new_message", _assistant_prefix("history "), since=mark)
    roles = reply.data["output"].removeprefix("history ").split(",")
    assert roles[:3] == ["assistant", "user", "assistant"]
    assert roles[-1] == "user" and roles.count("user") == 5


async def test_actions_over_rest_and_ask_action(stack: Any, client_factory: Any) -> None:
    client: ChainlitClient = client_factory(stack.url)
    await _ready(client)
    mark = len(client.events)
    await client.send("action")
    action = await client.wait_for("action", since=mark)
    assert action.data["name"] == "pick" and action.data["payload"] == {"n": 7}
    async with httpx.AsyncClient(base_url=stack.gateway_urls()[1], timeout=20) as http:
        response = await http.post(
            "/project/action", json={"action": action.data, "sessionId": client.session_id}
        )
        assert response.status_code == 200, response.text
        assert response.json() == {"success": True, "response": "picked-7"}
        unknown = await http.post(
            "/project/action",
            json={"action": {**action.data, "name": "nope"}, "sessionId": client.session_id},
        )
        assert unknown.status_code == 404
        assert unknown.json() == {"detail": "No callback found for action nope"}
        no_session = await http.post(
            "/project/action",
            json={"action": action.data, "sessionId": "00000000-0000-4000-8000-000000000000"},
        )
        assert no_session.status_code == 404
    await client.wait_for("new_message", _assistant("picked 7"), since=mark)

    chosen: list[Any] = []

    async def answer(data: Any, *_: Any) -> Any:
        right = [e.data for e in client.events if e.name == "action" and e.data["name"] == "right"]
        chosen.append(right[-1])
        return right[-1]

    client.answer_asks(answer)
    mark = len(client.events)
    await client.send("ask-action")
    await client.wait_for("new_message", _assistant("chose right"), since=mark, timeout=15)
    removed = [e.data["name"] for e in client.events[mark:] if e.name == "remove_action"]
    assert sorted(removed) == ["left", "right"]
    update = await client.wait_for(
        "update_message", lambda m: m["output"] == "**Selected:** Right", since=mark
    )
    assert update.data["id"] == chosen[0]["forId"]


async def test_chat_settings_validated_and_delivered(stack: Any, client_factory: Any) -> None:
    client: ChainlitClient = client_factory(stack.url)
    await _ready(client)
    mark = len(client.events)
    await client.send("settings")
    settings = await client.wait_for("chat_settings", since=mark)
    assert [w["id"] for w in settings.data] == ["stream", "temperature"]
    assert settings.data[1]["type"] == "slider" and settings.data[1]["max"] == 2
    await client.wait_for("task_end", since=mark)

    mark = len(client.events)
    await client.emit("chat_settings_change", {"stream": "yes"})
    assert (await client.wait_for("error", since=mark)).data["code"] == "invalid_settings"
    second = len(client.events)
    await client.emit("chat_settings_change", {"temperature": 9})
    assert (await client.wait_for("error", since=second)).data["code"] == "invalid_settings"
    await client.emit("chat_settings_change", {"nope": 1})
    await client.emit("chat_settings_change", {"temperature": 0.5})
    update = await client.wait_for("new_message", _assistant_prefix("settings "), since=mark)
    # on_settings_update gets what the client sent (Chainlit's rule); the session merges it.
    assert update.data["output"] == 'settings {"temperature": 0.5}'
    errors = [e for e in client.events[mark:] if e.name == "error"]
    assert len(errors) == 3
