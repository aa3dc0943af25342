"""Backpressure: per-user rate, per-session backlog, queue depth, and slow readers.

Each limit is set low through the gateway's environment and driven over a
real socket; a refused message gets an error event and causes no work.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import socket
import struct
import uuid
from typing import Any

import httpx
import redis.asyncio as aioredis

from switchboard.names import RedisNames
from switchboard.stack import LocalStack
from tests.support.client import ChainlitClient, Received, chainlit_auth, user_message
from tests.support.fixtures import TEST_APPS, StackFactory

APP = TEST_APPS / "limits_app.py"
ENGINEIO_GAUGE = "switchboard_gateway_engineio_sockets "


async def _connected(stack: LocalStack, client_factory: Any) -> ChainlitClient:
    client: ChainlitClient = client_factory(stack.url)
    await client.start()
    await client.wait_for("clear_call_fn", timeout=15)
    return client


def _replies(client: ChainlitClient, since: int) -> list[str]:
    return [
        e.data["output"]
        for e in client.events[since:]
        if e.name == "new_message" and e.data["type"] == "assistant_message"
    ]


async def test_messages_past_the_rate_are_refused(
    make_stack: StackFactory, client_factory: Any
) -> None:
    stack = make_stack(APP, extra_env={"SWITCHBOARD_USER_MESSAGES_PER_MINUTE": "3"})
    client = await _connected(stack, client_factory)
    mark = len(client.events)
    for text in ("one", "two", "three", "four"):
        await client.send(text)
    error = await client.wait_for("error", since=mark, timeout=15)
    assert error.data["code"] == "rate_limited" and "per minute" in error.data["message"]
    await client.wait_for("new_message", lambda m: m["output"] == "echo three", since=mark)
    await asyncio.sleep(0.5)
    assert _replies(client, mark) == ["echo one", "echo two", "echo three"]


async def test_a_session_backlog_is_bounded(make_stack: StackFactory, client_factory: Any) -> None:
    stack = make_stack(APP, extra_env={"SWITCHBOARD_MAX_SESSION_INPUTS": "2"})
    client = await _connected(stack, client_factory)
    mark = len(client.events)
    await client.send("slow 2")
    await client.wait_for("stream_start", since=mark, timeout=15)
    for text in ("a", "b", "c"):
        await client.send(text)
    error = await client.wait_for("error", since=mark, timeout=15)
    assert error.data["code"] == "too_many_messages"
    await client.wait_for("new_message", lambda m: m["output"] == "echo b", since=mark, timeout=15)
    await asyncio.sleep(0.5)
    assert _replies(client, mark) == ["working ", "echo a", "echo b"]
    # Once the backlog drains, the session takes messages again.
    mark = len(client.events)
    await client.send("d")
    await client.wait_for("new_message", lambda m: m["output"] == "echo d", since=mark)


async def test_messages_are_shed_when_the_queue_is_full(
    make_stack: StackFactory, client_factory: Any
) -> None:
    # No worker runs, so the chat start stays queued and the queue is full at depth 1.
    stack = make_stack(APP, workers=0, extra_env={"SWITCHBOARD_MAX_QUEUE_DEPTH": "1"})
    client: ChainlitClient = client_factory(stack.url)
    await client.start()
    await client.wait_for("clear_call_fn", timeout=15)
    mark = len(client.events)
    await client.send("hello")
    error = await client.wait_for("error", since=mark, timeout=15)
    assert error.data["code"] == "overloaded"
    # The shed message left no trace: a worker that starts now only runs the chat start.
    stack.start_worker(0)
    queue = RedisNames(stack.redis_prefix).queue
    redis = aioredis.Redis.from_url(stack.redis_url)
    try:
        for _ in range(300):  # a cold worker process takes seconds to start
            if await redis.zcard(queue) == 0:
                break
            await asyncio.sleep(0.1)
        assert await redis.zcard(queue) == 0
    finally:
        await redis.aclose()
    await asyncio.sleep(1)
    assert _replies(client, mark) == []
    await client.send("after")
    await client.wait_for("new_message", lambda m: m["output"] == "echo after", since=mark)


def _ws_frame(text: str) -> bytes:
    """One masked WebSocket text frame, as a browser sends it."""
    data = text.encode()
    mask = os.urandom(4)
    size = len(data)
    if size < 126:
        head = bytes([0x81, 0x80 | size])
    elif size < 65536:
        head = bytes([0x81, 0x80 | 126]) + struct.pack("!H", size)
    else:
        head = bytes([0x81, 0x80 | 127]) + struct.pack("!Q", size)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data))


async def _stalled_client(stack: LocalStack, session_id: str, text: str) -> asyncio.StreamWriter:
    """A WebSocket client that asks for a long reply, then never reads again.

    Its receive buffer is tiny and reading is paused, so TCP backpressure
    reaches the gateway at once.
    """
    port = int(stack.url.rsplit(":", 1)[1])
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect(("127.0.0.1", port))
    raw.setblocking(False)
    reader, writer = await asyncio.open_connection(sock=raw, limit=4096)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        "GET /ws/socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 101")
    assert b'"sid"' in await reader.read(512)  # Engine.IO open packet
    writer.write(_ws_frame("40" + json.dumps(chainlit_auth(session_id))))
    assert b"40{" in await reader.read(512)  # Socket.IO connect accepted
    writer.write(_ws_frame('42["connection_successful"]'))
    writer.write(_ws_frame("42" + json.dumps(["client_message", user_message(text)])))
    await writer.drain()
    writer.transport.pause_reading()
    return writer


def _flooded(events: list[Received]) -> bool:
    return any(e.name == "new_message" and e.data["output"] == "flooded 3000" for e in events)


async def test_a_client_that_stops_reading_is_dropped_and_can_resume(
    make_stack: StackFactory, client_factory: Any
) -> None:
    stack = make_stack(APP, extra_env={"SWITCHBOARD_MAX_CLIENT_BACKLOG": "50"})
    session_id = str(uuid.uuid4())
    writer = await _stalled_client(stack, session_id, "flood 3000")
    assert stack.log_dir is not None
    gateway_log = stack.log_dir / "gateway.log"
    for _ in range(600):
        if "slow client disconnected" in gateway_log.read_text(errors="replace"):
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the gateway kept buffering for a client that does not read")
    writer.close()
    # The same session resumes on a normal client from the stream's start (the stalled
    # client never acknowledged anything) and gets the whole reply from Redis. A reader
    # that falls behind the 50-event backlog on a loaded machine is dropped too; it
    # comes back from the last event it got, as Chainlit's client reconnects.
    received: list[Received] = []
    last_event_id = "0-0"
    for _ in range(20):
        client: ChainlitClient = client_factory(
            stack.url, auth=chainlit_auth(session_id, lastEventId=last_event_id)
        )
        await client.start()
        deadline = asyncio.get_running_loop().time() + 60
        while not _flooded(client.events) and client.sio.connected:
            assert asyncio.get_running_loop().time() < deadline, "a resumed client stalled"
            await asyncio.sleep(0.05)
        received += client.events
        await client.close()
        if _flooded(received):
            break
        assert client.last_event_id is not None, "a resumed client got nothing"
        last_event_id = client.last_event_id
    else:
        raise AssertionError("the reply never arrived in 20 resumptions")
    text = "".join(e.data["token"] for e in received if e.name == "stream_token")
    # Every token, in order, once (tokens may travel merged: told apart by their numbers).
    numbers = [int(number) for number in re.findall(r"token-(\d{6}) ", text)]
    assert numbers == list(range(3000))


async def test_a_burst_wider_than_the_redis_pool_waits_for_connections(
    make_stack: StackFactory, client_factory: Any
) -> None:
    """Commands queue for the gateway's few Redis connections instead of failing."""
    stack = make_stack(APP, extra_env={"SWITCHBOARD_REDIS_MAX_CONNECTIONS": "8"})
    clients = await asyncio.gather(*(_connected(stack, client_factory) for _ in range(40)))
    marks = [len(c.events) for c in clients]
    await asyncio.gather(*(c.send(f"burst {i}") for i, c in enumerate(clients)))
    await asyncio.gather(
        *(
            c.wait_for("new_message", lambda m, i=i: m["output"] == f"echo burst {i}", since=mark)
            for i, (c, mark) in enumerate(zip(clients, marks, strict=True))
        )
    )
    assert not any(e.name == "error" for c in clients for e in c.events)
    async with httpx.AsyncClient() as http:
        metrics = (await http.get(f"{stack.gateway_ops_url}/metrics")).text
    held = [line for line in metrics.splitlines() if line.startswith(ENGINEIO_GAUGE)]
    assert held and float(held[0].split()[-1]) >= 40
