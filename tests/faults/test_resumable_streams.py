"""Reconnects and gateway loss: every missed UI event arrives once, in order."""

from __future__ import annotations

import asyncio
import signal
from typing import Any

from tests.support.client import ChainlitClient
from tests.support.fixtures import TEST_APPS, StackFactory

APP = TEST_APPS / "distributed.py"
TOKENS = 30


def _stream_outputs(clients: list[ChainlitClient]) -> tuple[list[str], list[str]]:
    """All stream tokens and final assistant outputs the clients received, in order."""
    tokens: list[str] = []
    finals: list[str] = []
    for client in clients:
        for event in client.events:
            if event.name == "stream_start":
                tokens.append(event.data["output"])
            elif event.name == "stream_token":
                tokens.append(event.data["token"])
            elif (
                event.name == "new_message"
                and event.data["type"] == "assistant_message"
                and event.data["output"].startswith("slow done")
            ):
                finals.append(event.data["output"])
    return tokens, finals


async def _start_stream(client: ChainlitClient) -> None:
    await client.start()
    await client.wait_for("new_message", lambda m: m["output"] == "ready", timeout=20)
    await client.send(f"slow {TOKENS}")
    for _ in range(200):
        if sum(e.name == "stream_token" for e in client.events) >= 5:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("stream never started")


def _assert_complete(clients: list[ChainlitClient]) -> None:
    tokens, finals = _stream_outputs(clients)
    assert tokens == [f"{i} " for i in range(TOKENS)]
    assert finals == [f"slow done {TOKENS}"]
    ids = [e.event_id for c in clients for e in c.events if e.event_id is not None]
    assert len(ids) == len(set(ids)), "an event was delivered twice"


async def test_reconnect_to_another_gateway_replays_what_was_missed(
    make_stack: StackFactory, client_factory: Any
) -> None:
    stack = make_stack(APP, gateways=2)
    first_url, second_url = stack.gateway_urls()
    first: ChainlitClient = client_factory(first_url)
    await _start_stream(first)
    await first.close()
    await asyncio.sleep(0.5)  # events keep flowing into the stream meanwhile

    second: ChainlitClient = client_factory(
        second_url, auth={**first.auth, "lastEventId": first.last_event_id}
    )
    await second.start()
    await second.wait_for("new_message", lambda m: m["output"] == f"slow done {TOKENS}", timeout=20)
    _assert_complete([first, second])


async def test_gateway_killed_mid_stream_loses_nothing(
    make_stack: StackFactory, client_factory: Any
) -> None:
    stack = make_stack(APP, gateways=2)
    first_url, second_url = stack.gateway_urls()
    first: ChainlitClient = client_factory(second_url)
    await _start_stream(first)
    stack.kill("gateway-1", signal.SIGKILL)
    for _ in range(100):
        if not first.sio.connected:
            break
        await asyncio.sleep(0.05)
    assert not first.sio.connected

    moved: ChainlitClient = client_factory(
        first_url, auth={**first.auth, "lastEventId": first.last_event_id}
    )
    await moved.start()
    await moved.wait_for("new_message", lambda m: m["output"] == f"slow done {TOKENS}", timeout=20)
    _assert_complete([first, moved])
    mark = len(moved.events)
    await moved.send("after")
    await moved.wait_for("new_message", lambda m: m["output"] == "echo after", since=mark)


async def test_chainlit_client_without_last_event_id_gets_only_new_events(
    make_stack: StackFactory, client_factory: Any
) -> None:
    stack = make_stack(APP)
    first: ChainlitClient = client_factory(stack.url)
    await first.start()
    await first.wait_for("new_message", lambda m: m["output"] == "ready", timeout=20)
    await first.close()
    again: ChainlitClient = client_factory(stack.url, auth=dict(first.auth))
    await again.start()
    await again.send("hello")
    await again.wait_for("new_message", lambda m: m["output"] == "echo hello")
    assert not [e for e in again.events if e.name == "new_message" and e.data["output"] == "ready"]
