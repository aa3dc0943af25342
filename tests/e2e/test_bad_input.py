"""Bad input at the edge gets a refusal or an error event; nobody else notices."""

from __future__ import annotations

from typing import Any

import pytest
import socketio

from tests.support.client import ChainlitClient, chainlit_auth, user_message
from tests.support.fixtures import TEST_APPS, StackFactory

WELCOME = "Welcome to the streaming test app"
STREAMING_APP = TEST_APPS / "streaming.py"


async def _refused(client: ChainlitClient) -> Any:
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect()
    assert client.connect_error is not None
    return client.connect_error


async def test_bad_input_is_refused_and_others_keep_working(
    make_stack: StackFactory, client_factory: Any
) -> None:
    stack = make_stack(STREAMING_APP)

    no_session = chainlit_auth()
    del no_session["sessionId"]
    error = await _refused(client_factory(stack.url, auth=no_session))
    assert "sessionId" in error["message"]

    error = await _refused(client_factory(stack.url, auth=chainlit_auth(userEnv="{not json")))
    assert "userEnv" in error["message"]

    error = await _refused(client_factory(stack.url, auth=chainlit_auth(sessionId="not-a-uuid")))
    assert "sessionId" in error["message"]

    bad: ChainlitClient = client_factory(stack.url)
    await bad.start()
    welcome = await bad.wait_for("new_message", lambda m: "Welcome" in m["output"], timeout=15)
    await bad.wait_for("task_end", since=bad.events.index(welcome))

    payload = user_message("no id")
    del payload["message"]["id"]
    mark = len(bad.events)
    await bad.emit("client_message", payload)
    error_event = await bad.wait_for("error", since=mark)
    assert error_event.data["code"] == "invalid_message"
    assert "message.id" in error_event.data["message"]

    mark = len(bad.events)
    await bad.emit("client_message", user_message("x" * 2_000_000))
    error_event = await bad.wait_for("error", since=mark)
    assert error_event.data["code"] == "message_too_large"

    mark = len(bad.events)
    await bad.emit("client_message", "just a string")
    assert (await bad.wait_for("error", since=mark)).data["code"] == "invalid_message"

    mark = len(bad.events)
    await bad.emit("no_such_event", {"a": 1})
    assert (await bad.wait_for("error", since=mark)).data["code"] == "unknown_event"
    # None of the refused messages started any work.
    assert "task_start" not in bad.names(mark)

    good: ChainlitClient = client_factory(stack.url)
    await good.start()
    welcome = await good.wait_for("new_message", lambda m: "Welcome" in m["output"], timeout=15)
    await good.wait_for("task_end", since=good.events.index(welcome))
    mark = len(good.events)
    await good.send("still there?")
    final = await good.wait_for(
        "new_message", lambda m: m["type"] == "assistant_message", since=mark, timeout=15
    )
    assert final.data["output"].endswith("echo: still there?")

    # The client that misbehaved is still served too.
    mark = len(bad.events)
    await bad.send("and me?")
    final = await bad.wait_for(
        "new_message", lambda m: m["type"] == "assistant_message", since=mark, timeout=15
    )
    assert final.data["output"].endswith("echo: and me?")


async def test_session_restore_by_another_identity_is_refused(
    make_stack: StackFactory, client_factory: Any
) -> None:
    """Anonymous sessions restore for anonymous clients; the same id with a
    different owner is covered by the sessions service's own tests."""
    stack = make_stack(STREAMING_APP)
    first: ChainlitClient = client_factory(stack.url)
    await first.start()
    # The gateway's own task_end answers connection_successful at once; the chat start
    # is over once its welcome is here, so nothing of it can reach the restored client.
    await first.wait_for("new_message", lambda m: m["output"] == WELCOME, timeout=15)
    await first.close()

    again: ChainlitClient = client_factory(stack.url, auth=dict(first.auth))
    await again.start()
    mark = len(again.events)
    await again.send("after reconnect")
    final = await again.wait_for(
        "new_message", lambda m: m["type"] == "assistant_message", since=mark, timeout=15
    )
    assert final.data["output"].endswith("echo: after reconnect")
    assert not [e for e in again.events if e.name == "new_message" and e.data["output"] == WELCOME]
    # on_chat_start ran once for the session, not again on restore.
    assert [
        e for e in again.events if e.name == "new_message" and e.data.get("name") == "on_chat_start"
    ] == []
