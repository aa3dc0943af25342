"""One streamed message end to end through every service as its own process."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.support.client import ChainlitClient
from tests.support.fixtures import TEST_APPS, StackFactory

STREAMING_APP = TEST_APPS / "streaming.py"


async def _thread_when_complete(base_url: str, thread_id: str, expected_steps: int) -> Any:
    """Poll the REST API until persistence has committed the conversation."""
    async with httpx.AsyncClient(base_url=base_url) as http:
        deadline = asyncio.get_running_loop().time() + 20
        last: Any = None
        while asyncio.get_running_loop().time() < deadline:
            response = await http.get(f"/project/thread/{thread_id}")
            if response.status_code == 200:
                last = response.json()
                messages = [
                    s for s in last["steps"] if s["type"] in ("user_message", "assistant_message")
                ]
                if len(messages) >= expected_steps:
                    return last
            await asyncio.sleep(0.2)
    raise AssertionError(f"thread {thread_id} incomplete after 20 s: {last}")


async def test_streamed_message_reaches_client_in_order_and_is_stored(
    make_stack: StackFactory, database_url: str, client_factory: Any
) -> None:
    stack = make_stack(STREAMING_APP, database_url=database_url)
    client: ChainlitClient = client_factory(stack.url)
    await client.start()

    greeting = await client.wait_for(
        "new_message", lambda m: m["type"] == "assistant_message", timeout=15
    )
    assert greeting.data["output"] == "Welcome to the streaming test app"
    await client.wait_for("task_end", since=client.events.index(greeting))

    mark = len(client.events)
    sent = await client.send("hello switchboard")
    user_id = sent["message"]["id"]
    await client.wait_for("task_end", since=mark, timeout=15)

    received = client.events[mark:]
    names = [e.name for e in received]
    assert names[0] == "task_start"
    assert names[1] == "first_interaction"
    run = received[2]
    assert run.name == "new_message"
    assert run.data["name"] == "on_message" and run.data["type"] == "run"
    assert run.data["parentId"] == user_id
    assert names[3] == "stream_start"
    stream_start = received[3].data
    assert stream_start["streaming"] is True and stream_start["output"] == "t0 "
    assert stream_start["parentId"] == run.data["id"]
    tokens = [e.data for e in received if e.name == "stream_token"]
    # Tokens that met a write in flight travel merged; the text is the same.
    assert tokens and all(t["id"] == stream_start["id"] for t in tokens)
    assert "".join(t["token"] for t in tokens) == "".join(f"t{i} " for i in range(1, 12))
    final = next(e for e in received[4:] if e.name == "new_message")
    assert final.data["id"] == stream_start["id"]
    assert final.data["streaming"] is False
    assert (
        final.data["output"] == "".join(f"t{i} " for i in range(12)) + "| echo: hello switchboard"
    )
    assert names.index("new_message", 4) > max(
        i for i, n in enumerate(names) if n == "stream_token"
    )
    run_update = next(e for e in received if e.name == "update_message")
    assert (
        run_update.data["id"] == run.data["id"] and run_update.data["input"] == "hello switchboard"
    )
    assert names[-1] == "task_end"

    interaction = received[1].data
    assert interaction["interaction"] == "hello switchboard"
    thread = await _thread_when_complete(stack.url, interaction["thread_id"], expected_steps=3)
    assert thread["id"] == interaction["thread_id"]
    assert thread["name"] == "hello switchboard"
    by_id = {s["id"]: s for s in thread["steps"]}
    assert by_id[user_id]["output"] == "hello switchboard"
    assert by_id[user_id]["type"] == "user_message"
    assert by_id[final.data["id"]]["output"] == final.data["output"]
    assert by_id[greeting.data["id"]]["output"] == "Welcome to the streaming test app"
    assert by_id[run.data["id"]]["input"] == "hello switchboard"
    order = [s["id"] for s in thread["steps"]]
    assert order.index(greeting.data["id"]) < order.index(user_id) < order.index(final.data["id"])
