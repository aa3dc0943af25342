"""The gateway's client events, in process: a real Socket.IO client, real Redis.

The gateway, the sessions service and the auth service run in the test's event loop
(see ``conftest``; they serve the whole module, and each test has sessions of its own);
the client speaks Chainlit's protocol. What the gateway did is
read back from Redis under the keys ``names.RedisNames`` gives: the session's inbox
(what its worker will run), the persistence stream, and the control channel.

A client's events are handled one after another (``async_handlers=False``), so an
event answered with an error (``barrier``) proves that everything sent before it
has been handled.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import orjson
import pytest
import redis.asyncio as aioredis
from gateway_support import Gateway, MakeGateway

from switchboard.names import RedisNames
from switchboard.session_state import SessionState
from switchboard_gateway.event_limits import DEFAULT_RULES, FLOOD_REFUSALS
from tests.support.client import ChainlitClient


def names_of(gateway: Gateway) -> RedisNames:
    return RedisNames(gateway.prefix)


async def inbox(redis: aioredis.Redis, gateway: Gateway, session_id: str) -> list[dict[str, Any]]:
    raw = await redis.lrange(names_of(gateway).inbox(session_id), 0, -1)  # type: ignore[misc]
    return [orjson.loads(item) for item in raw]


async def persisted(
    redis: aioredis.Redis, gateway: Gateway, session_id: str
) -> list[dict[str, Any]]:
    """The session's events on the persistence stream (the module's sessions share it)."""
    entries = await redis.xrange(names_of(gateway).persist_stream)
    events = [orjson.loads(fields[b"e"]) for _, fields in entries]
    return [e for e in events if e["session_id"] == session_id]


def errors(client: ChainlitClient, event: str | None = None) -> list[dict[str, Any]]:
    return [
        e.data
        for e in client.events
        if e.name == "error" and (event is None or e.data.get("event") == event)
    ]


async def barrier(client: ChainlitClient) -> None:
    """Wait until the gateway has handled every event this client sent so far."""
    name = f"barrier_{uuid.uuid4().hex[:8]}"
    await client.emit(name, {})
    await client.wait_for(
        "error", lambda e: e.get("event") == name and e["code"] == "unknown_event"
    )


async def thread_of(redis: aioredis.Redis, gateway: Gateway, session_id: str) -> str:
    record = await SessionState(redis, names_of(gateway)).record(session_id)
    assert record is not None, "the sessions service did not create the session"
    return record.thread_id


async def test_a_client_message_lands_in_the_session_inbox_with_its_content(
    gateway: Gateway, redis_client: aioredis.Redis
) -> None:
    client = await gateway.connect()
    await client.emit("connection_successful")
    first = await client.send("hello there")
    second = await client.send("and again")
    await barrier(client)
    assert [e["code"] for e in errors(client)] == ["unknown_event"]  # the barrier only

    thread_id = await thread_of(redis_client, gateway, client.session_id)
    items = await inbox(redis_client, gateway, client.session_id)
    # Chainlit's order: the chat starts, then the messages, as sent.
    assert [item["type"] for item in items] == ["chat_start", "message", "message"]
    assert all(item["session_id"] == client.session_id for item in items)
    assert all(item["thread_id"] == thread_id for item in items)

    one, two = items[1], items[2]
    assert one["id"] == first["message"]["id"]
    assert one["payload"]["message"]["output"] == "hello there"
    assert one["payload"]["message"]["type"] == "user_message"
    assert one["payload"]["message"]["threadId"] == thread_id
    # The first message is the session's first interaction (it names the thread).
    assert one["payload"]["first_interaction"] == "hello there"
    assert two["id"] == second["message"]["id"]
    assert two["payload"]["message"]["output"] == "and again"
    assert two["payload"]["first_interaction"] is None

    # Persisted too: the thread (named after the first message), then each user step.
    events = await persisted(redis_client, gateway, client.session_id)
    assert [e["type"] for e in events] == ["thread_upsert", "step_upsert", "step_upsert"]
    assert events[0]["payload"]["name"] == "hello there"
    assert [e["payload"]["id"] for e in events[1:]] == [one["id"], two["id"]]
    assert [e["payload"]["output"] for e in events[1:]] == ["hello there", "and again"]

    # The same message again (a client retrying) is not queued twice.
    await client.sio.emit("client_message", first)
    await barrier(client)
    again = await inbox(redis_client, gateway, client.session_id)
    assert [item["id"] for item in again] == [item["id"] for item in items]


MALFORMED: list[Any] = [
    {"message": "not a step"},
    {"message": {"id": "not-a-uuid", "output": "hi", "type": "user_message"}},
    {"fileReferences": []},
    ["a", "list"],
    "just text",
]


@pytest.mark.parametrize("payload", MALFORMED, ids=["str", "bad-id", "no-message", "list", "text"])
async def test_a_malformed_client_message_gets_an_error_and_is_not_queued(
    gateway: Gateway, redis_client: aioredis.Redis, payload: Any
) -> None:
    client = await gateway.connect()
    await client.emit("client_message", payload)
    refusal = await client.wait_for("error", lambda e: e.get("event") == "client_message")
    assert refusal.data["code"] == "invalid_message"
    assert client.sio.connected
    assert await inbox(redis_client, gateway, client.session_id) == []
    assert await persisted(redis_client, gateway, client.session_id) == []

    # The socket still works: a well-formed message after it is taken.
    sent = await client.send("fine")
    await barrier(client)
    items = await inbox(redis_client, gateway, client.session_id)
    assert [item["id"] for item in items] == [sent["message"]["id"]]


@pytest.mark.parametrize(
    "event", ["window_message", "client_message", "chat_settings_change", "stop"]
)
@pytest.mark.parametrize("payload", [b"\x00\xff", {"nested": b"\xfe"}], ids=["top", "nested"])
async def test_binary_where_json_is_expected_is_refused_and_not_queued(
    gateway: Gateway, redis_client: aioredis.Redis, event: str, payload: Any
) -> None:
    client = await gateway.connect()
    await client.emit(event, payload)
    refusal = await client.wait_for("error", lambda e: e.get("event") == event)
    assert refusal.data["code"] == "invalid_payload"
    assert client.sio.connected
    assert await inbox(redis_client, gateway, client.session_id) == []

    await client.emit("window_message", {"fine": True})
    await barrier(client)
    assert [item["type"] for item in await inbox(redis_client, gateway, client.session_id)] == [
        "window_message"
    ]


async def test_client_messages_past_the_per_minute_rate_are_refused_and_not_queued(
    make_gateway: MakeGateway, redis_client: aioredis.Redis
) -> None:
    async with make_gateway(user_messages_per_minute=2) as gateway:
        client = await gateway.connect()
        # The count is per clock minute: do not straddle two.
        if time.time() % 60 > 55:
            await asyncio.sleep(60.5 - time.time() % 60)
        sent = [await client.send(f"m{i}") for i in range(4)]
        await barrier(client)
        refused = errors(client, "client_message")
        assert [e["code"] for e in refused] == ["rate_limited", "rate_limited"]
        items = await inbox(redis_client, gateway, client.session_id)
        assert [item["id"] for item in items] == [s["message"]["id"] for s in sent[:2]]
        steps = [
            e
            for e in await persisted(redis_client, gateway, client.session_id)
            if e["type"] == "step_upsert"
        ]
        assert [e["payload"]["output"] for e in steps] == ["m0", "m1"]


async def test_client_messages_past_the_session_inbox_limit_are_refused(
    make_gateway: MakeGateway, redis_client: aioredis.Redis
) -> None:
    async with make_gateway(max_session_inputs=3) as gateway:
        client = await gateway.connect()
        sent = [await client.send(f"m{i}") for i in range(5)]
        await barrier(client)
        assert [e["code"] for e in errors(client, "client_message")] == [
            "too_many_messages",
            "too_many_messages",
        ]
        items = await inbox(redis_client, gateway, client.session_id)
        assert [item["id"] for item in items] == [s["message"]["id"] for s in sent[:3]]


async def test_stop_is_published_to_workers_and_rate_limited_per_socket(
    gateway: Gateway, redis_client: aioredis.Redis
) -> None:
    rule = DEFAULT_RULES["stop"]
    client = await gateway.connect()
    thread_id = await thread_of(redis_client, gateway, client.session_id)
    sent = 4 * rule.burst
    async with redis_client.pubsub() as pubsub:
        await pubsub.subscribe(names_of(gateway).control)
        assert (await pubsub.get_message(timeout=5))["type"] == "subscribe"

        started = time.monotonic()
        for _ in range(sent):
            await client.emit("stop")
        # Too large for a stop: refused by size, never published.
        await client.emit("stop", {"blob": "x" * (rule.max_bytes + 1)})
        await barrier(client)
        elapsed = time.monotonic() - started

        heard: list[dict[str, Any]] = []
        while (message := await pubsub.get_message(timeout=0.3)) is not None:
            if message["type"] == "message":
                heard.append(orjson.loads(message["data"]))
    # The channel is the module's: other tests' sessions may publish on it too.
    published = [p for p in heard if p["session_id"] == client.session_id]

    # The burst goes through at once, then only what the bucket refilled meanwhile.
    assert rule.burst <= len(published) <= rule.burst + int(elapsed * rule.per_second)
    assert all(p["type"] == "stop" for p in published)
    assert all(p["thread_id"] == thread_id for p in published)
    codes = [e["code"] for e in errors(client, "stop")]
    assert codes == ["rate_limited"] * (sent - len(published)) + ["message_too_large"]


async def test_chat_settings_change_is_validated_and_queued_with_the_merged_values(
    gateway: Gateway, redis_client: aioredis.Redis
) -> None:
    client = await gateway.connect()
    # What the app's ChatSettings(...).send() leaves in the session (the worker writes it).
    spec = [{"id": "note", "type": "textinput"}, {"id": "loud", "type": "switch"}]
    state = SessionState(redis_client, names_of(gateway))
    await state.save_chat_settings(client.session_id, {"loud": False}, spec)

    await client.emit("chat_settings_change", {"note": 5})
    await client.emit("chat_settings_change", {"nope": "x"})
    await client.emit("chat_settings_change", ["not", "an", "object"])
    await client.emit("chat_settings_change", {"note": "hi"})
    await barrier(client)

    assert [e["code"] for e in errors(client, "chat_settings_change")] == ["invalid_settings"] * 3
    items = await inbox(redis_client, gateway, client.session_id)
    assert [item["type"] for item in items] == ["settings_update"]
    assert items[0]["payload"]["settings"] == {"loud": False, "note": "hi"}
    assert items[0]["payload"]["sent"] == {"note": "hi"}
    assert await state.chat_settings(client.session_id) == {"loud": False, "note": "hi"}


async def test_chat_settings_change_is_rate_limited_per_socket(
    gateway: Gateway, redis_client: aioredis.Redis
) -> None:
    rule = DEFAULT_RULES["chat_settings_change"]
    assert rule.queued
    client = await gateway.connect()
    sent = 2 * rule.burst
    started = time.monotonic()
    for _ in range(sent):
        await client.emit("chat_settings_change", {})
    await client.emit("chat_settings_change", {"blob": "x" * (rule.max_bytes + 1)})
    await barrier(client)
    elapsed = time.monotonic() - started

    queued = await inbox(redis_client, gateway, client.session_id)
    assert {item["type"] for item in queued} == {"settings_update"}
    assert rule.burst <= len(queued) <= rule.burst + int(elapsed * rule.per_second)
    codes = [e["code"] for e in errors(client, "chat_settings_change")]
    assert codes == ["rate_limited"] * (sent - len(queued)) + ["message_too_large"]


async def test_window_messages_are_queued_as_sent_and_limited_by_size_and_rate(
    make_gateway: MakeGateway, redis_client: aioredis.Redis
) -> None:
    rule = DEFAULT_RULES["window_message"]
    # The inbox is large enough here that only the per-socket rate refuses.
    async with make_gateway(max_session_inputs=10 * rule.burst) as gateway:
        client = await gateway.connect()
        await client.emit("window_message", {"blob": "x" * (rule.max_bytes + 1)})
        sent = 2 * rule.burst
        started = time.monotonic()
        for index in range(sent):
            await client.emit("window_message", {"n": index, "from": "parent"})
        await barrier(client)
        elapsed = time.monotonic() - started

        queued = await inbox(redis_client, gateway, client.session_id)
        assert rule.burst <= len(queued) <= rule.burst + int(elapsed * rule.per_second)
        # The burst is the first ones sent; any taken later (refilled) follow in order.
        # Payloads arrive untouched.
        numbers = [item["payload"]["n"] for item in queued]
        assert numbers[: rule.burst] == list(range(rule.burst))
        assert numbers == sorted(set(numbers))
        assert all(
            item["payload"] == {"n": n, "from": "parent"}
            for n, item in zip(numbers, queued, strict=True)
        )
        assert {item["type"] for item in queued} == {"window_message"}
        codes = [e["code"] for e in errors(client, "window_message")]
        assert codes == ["message_too_large"] + ["rate_limited"] * (sent - len(queued))


async def test_window_messages_past_the_session_inbox_limit_are_refused(
    make_gateway: MakeGateway, redis_client: aioredis.Redis
) -> None:
    async with make_gateway(max_session_inputs=4) as gateway:
        client = await gateway.connect()
        for index in range(7):
            await client.emit("window_message", {"n": index})
        await barrier(client)
        queued = await inbox(redis_client, gateway, client.session_id)
        assert [item["payload"] for item in queued] == [{"n": n} for n in range(4)]
        assert [e["code"] for e in errors(client, "window_message")] == ["too_many_messages"] * 3


async def test_a_socket_that_keeps_sending_refused_events_is_dropped(
    gateway: Gateway, redis_client: aioredis.Redis
) -> None:
    client = await gateway.connect()
    oversized = {"blob": "x" * (DEFAULT_RULES["window_message"].max_bytes + 1)}
    for _ in range(FLOOD_REFUSALS + 10):
        if not client.sio.connected:
            break
        await client.emit("window_message", oversized)
    for _ in range(200):
        if not client.sio.connected:
            break
        await asyncio.sleep(0.025)
    assert not client.sio.connected
    # Answered until the limit of refusals in a row, then cut off.
    refused = errors(client, "window_message")
    assert [e["code"] for e in refused] == ["message_too_large"] * (FLOOD_REFUSALS - 1)
    assert await inbox(redis_client, gateway, client.session_id) == []
