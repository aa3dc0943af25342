"""``ask`` on the wire exactly as Chainlit sends it: one data argument, the ack is the answer.

Chainlit's UI registers ``(data, callback)`` for ``ask``; a second data argument
(once the UI stream id) arrived where it expects the callback, so the stock UI
could never answer and every ask timed out.
"""

from __future__ import annotations

import uuid
from typing import Any

from tests.support.client import ChainlitClient
from tests.support.fixtures import TEST_APPS, StackFactory

APP = TEST_APPS / "distributed.py"


async def test_ask_arrives_with_one_argument_and_its_ack_answers(
    make_stack: StackFactory, client_factory: Any
) -> None:
    stack = make_stack(APP)
    client: ChainlitClient = client_factory(stack.url)
    received: list[tuple[Any, ...]] = []

    async def on_ask(*args: Any) -> Any:
        # python-socketio passes the data arguments; the return value is the ack.
        received.append(args)
        return {
            "id": str(uuid.uuid4()),
            "threadId": "",
            "name": "User",
            "type": "user_message",
            "output": "carol",
            "createdAt": "2026-01-01T00:00:00.000Z",
        }

    client.sio.on("ask", on_ask)
    await client.start()
    await client.wait_for("new_message", lambda m: m.get("output") == "ready", timeout=20)
    await client.send("ask")
    reply = await client.wait_for(
        "new_message", lambda m: m.get("output") == "hello carol", timeout=20
    )
    assert reply.data["type"] == "assistant_message"
    assert len(received) == 1
    (payload,) = received[0]  # exactly one data argument, as Chainlit sends it
    assert set(payload) == {"msg", "spec"}
    assert payload["spec"]["type"] == "text" and payload["msg"]["output"] == "name?"
    # Every other relayed event keeps its stream id as a trailing argument.
    assert client.last_event_id is not None
