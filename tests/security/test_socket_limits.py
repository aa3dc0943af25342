"""Every client event has a size and a rate; reserved names are refused.

Before, only ``client_message`` was limited: 200 ``window_message`` events of
400 KiB were all queued for the worker, and other users' replies slowed down
while it drained them.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from tests.support.client import ChainlitClient
from tests.support.fixtures import TEST_APPS, StackFactory

APP = TEST_APPS / "event_limits_app.py"


@pytest.fixture
def stack(make_stack: StackFactory) -> Any:
    return make_stack(APP)


def _errors(client: ChainlitClient, code: str | None = None) -> list[dict[str, Any]]:
    return [
        e.data
        for e in client.events
        if e.name == "error" and (code is None or e.data.get("code") == code)
    ]


async def _ready(client: ChainlitClient) -> None:
    await client.start()
    await client.wait_for("chat_settings", timeout=15)
    await client.wait_for("task_end", since=len(client.events) - 1, timeout=15)


async def _echo(client: ChainlitClient, text: str) -> str:
    since = len(client.events)
    await client.send(text)
    reply = await client.wait_for(
        "new_message",
        lambda m: m["output"].startswith(f"echo {text} "),
        since=since,
        timeout=20,
    )
    return str(reply.data["output"])


def _gateway_log(stack: Any) -> str:
    return "".join(p.read_text(errors="replace") for p in stack.log_dir.glob("gateway*.log"))


async def test_large_events_of_every_kind_are_refused(stack: Any, client_factory: Any) -> None:
    client: ChainlitClient = client_factory(stack.url)
    await _ready(client)
    big = {"blob": "x" * 400 * 1024}
    for event in ("window_message", "chat_settings_change", "chat_settings_edit"):
        await client.emit(event, big)
    for event in ("stop", "clear_session", "connection_successful", "fetch_favorites"):
        await client.emit(event, {"blob": "x" * 8 * 1024})
    for _ in range(100):
        if len(_errors(client, "message_too_large")) >= 7:
            break
        await asyncio.sleep(0.1)
    refused = {e["event"] for e in _errors(client, "message_too_large")}
    assert refused == {
        "window_message",
        "chat_settings_change",
        "chat_settings_edit",
        "stop",
        "clear_session",
        "connection_successful",
        "fetch_favorites",
    }
    # Nothing oversized reached the app; a small window message still does.
    await client.emit("window_message", {"small": True})
    await asyncio.sleep(0.5)
    assert await _echo(client, "after") == "echo after window=1 settings=0"


async def test_a_flood_is_cut_off_and_other_users_are_served(
    stack: Any, client_factory: Any
) -> None:
    bystander: ChainlitClient = client_factory(stack.url)
    await _ready(bystander)
    flooder: ChainlitClient = client_factory(stack.url)
    await _ready(flooder)

    payload = {"blob": "y" * 32 * 1024}
    for _ in range(200):
        if not flooder.sio.connected:
            break
        await flooder.emit("window_message", payload)
    for _ in range(100):
        if not flooder.sio.connected:
            break
        await asyncio.sleep(0.1)
    # Refused events kept coming: the socket was dropped, after rate_limited answers.
    assert not flooder.sio.connected
    assert _errors(flooder, "rate_limited")
    assert {e["event"] for e in _errors(flooder, "rate_limited")} == {"window_message"}

    # The other user is answered, and the app saw at most the burst of the flood.
    answer = await _echo(bystander, "still here")
    assert answer == "echo still here window=0 settings=0"

    again: ChainlitClient = client_factory(stack.url, auth=dict(flooder.auth))
    await again.start()
    answer = await _echo(again, "counted")
    seen = int(answer.split("window=")[1].split()[0])
    assert 1 <= seen <= 25, answer


async def test_stop_and_settings_are_rate_limited(stack: Any, client_factory: Any) -> None:
    client: ChainlitClient = client_factory(stack.url)
    await _ready(client)
    for index in range(30):
        await client.emit("chat_settings_change", {"note": f"n{index}"})
    for _ in range(20):
        await client.emit("stop")
    for _ in range(100):
        limited = {e["event"] for e in _errors(client, "rate_limited")}
        if limited == {"chat_settings_change", "stop"}:
            break
        await asyncio.sleep(0.1)
    assert {e["event"] for e in _errors(client, "rate_limited")} == {
        "chat_settings_change",
        "stop",
    }
    await asyncio.sleep(1.0)
    answer = await _echo(client, "settings")
    seen = int(answer.split("settings=")[1])
    assert 1 <= seen <= 12, answer


@pytest.mark.parametrize("name", ["disconnect", "connect", "connect_error"])
async def test_reserved_event_names_are_refused(stack: Any, client_factory: Any, name: str) -> None:
    client: ChainlitClient = client_factory(stack.url)
    await _ready(client)
    await client.sio.emit(name, {"sessionId": "forged"})
    await client.wait_for("error", lambda e: e["code"] == "reserved_event", timeout=10)
    assert client.sio.connected
    # The session is untouched: it still answers.
    assert await _echo(client, "intact") == "echo intact window=0 settings=0"


async def test_refusals_log_one_line_each_without_tracebacks(
    stack: Any, client_factory: Any
) -> None:
    client: ChainlitClient = client_factory(stack.url)
    await _ready(client)
    await client.emit("window_message", {"blob": "z" * 200 * 1024})
    await client.emit("client_message", {"message": "not a step"})
    await client.emit("no_such_event", [1, 2, 3])
    await client.sio.emit("disconnect", "client disconnect")
    for _ in range(100):
        if len(_errors(client)) >= 4:
            break
        await asyncio.sleep(0.1)
    assert [e["code"] for e in _errors(client)] == [
        "message_too_large",
        "invalid_message",
        "unknown_event",
        "reserved_event",
    ]
    log = _gateway_log(stack)
    refused = [
        json.loads(line)
        for line in log.splitlines()
        if line.startswith("{") and '"client event refused"' in line
    ]
    assert [r["code"] for r in refused] == [
        "message_too_large",
        "invalid_message",
        "unknown_event",
        "reserved_event",
    ]
    assert all(r["session_id"] == client.session_id for r in refused)
    assert "Traceback" not in log
