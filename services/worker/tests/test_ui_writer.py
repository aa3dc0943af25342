"""A session's UI writes against a real Redis: merged tokens, kept order, nothing lost."""

from __future__ import annotations

import asyncio
import uuid

import orjson
import pytest
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError

from switchboard.aio import resolved
from switchboard.names import RedisNames
from switchboard.schema.envelope import Envelope
from switchboard.schema.events import (
    NewMessage,
    StreamToken,
    StreamTokenPayload,
    TaskEnd,
    TaskStart,
)
from switchboard.schema.persist import StepUpsert, ThreadUpsert, ThreadUpsertPayload
from switchboard.schema.steps import StepDict
from switchboard.streams import Streams
from switchboard_worker.ui_writer import MAX_MERGED_CHARS, UiWriter


@pytest.fixture
def streams(redis_client: aioredis.Redis, redis_prefix: str) -> Streams:
    return Streams(redis_client, RedisNames(redis_prefix), session_ttl=3600)


def token(session_id: str, step_id: str, text: str, *, sequence: bool = False) -> StreamToken:
    return StreamToken(
        session_id=session_id,
        payload=StreamTokenPayload(id=step_id, token=text, isSequence=sequence),
    )


async def written(streams: Streams, session_id: str) -> list[dict[str, object]]:
    entries = await streams.redis.xrange(streams.names.ui_stream(session_id))
    return [orjson.loads(fields[b"e"]) for _, fields in entries]


def texts(events: list[dict[str, object]]) -> str:
    return "".join(
        e["payload"]["token"]  # type: ignore[index]
        for e in events
        if e["type"] == "stream_token"
    )


async def test_the_first_token_goes_out_at_once(streams: Streams) -> None:
    session_id = str(uuid.uuid4())
    writer = UiWriter(streams)
    await writer.emit(token(session_id, "s", "Hello"))
    # Nothing else was emitted: the token is written without waiting for a flush.
    for _ in range(100):
        if await written(streams, session_id):
            break
        await asyncio.sleep(0.01)
    assert texts(await written(streams, session_id)) == "Hello"


async def test_tokens_arriving_during_a_write_are_merged_in_order(streams: Streams) -> None:
    session_id = str(uuid.uuid4())
    writer = UiWriter(streams)
    words = [f"w{i} " for i in range(500)]
    for word in words:
        await writer.emit(token(session_id, "s", word))
    await writer.flush()

    events = await written(streams, session_id)
    assert texts(events) == "".join(words)
    assert writer.emitted == 500
    # The app never waited on Redis, so most tokens travelled together.
    assert len(events) < 50
    assert writer.written == len(events)


async def test_other_events_keep_their_place_between_tokens(streams: Streams) -> None:
    session_id = str(uuid.uuid4())
    writer = UiWriter(streams)
    sent: list[Envelope] = []
    for i in range(30):
        sent.append(token(session_id, "a", f"a{i}"))
    sent.append(TaskStart(session_id=session_id))
    for i in range(30):
        sent.append(token(session_id, "b", f"b{i}"))
    sent.append(token(session_id, "a", "late"))
    sent.append(TaskEnd(session_id=session_id))
    for event in sent:
        await writer.emit(event)

    # A non-token event returns once it (and everything before it) is in Redis.
    events = await written(streams, session_id)
    kinds = [e["type"] for e in events]
    assert kinds[-1] == "task_end"
    start = kinds.index("task_start")
    before, after = events[:start], events[start + 1 : -1]
    assert {e["payload"]["id"] for e in before} == {"a"}  # type: ignore[index]
    assert texts(before) == "".join(f"a{i}" for i in range(30))
    ids = [e["payload"]["id"] for e in after]  # type: ignore[index]
    # Steps interleave as emitted: all of b, then a's late token, never merged across.
    assert ids == sorted(ids, key=lambda step: 0 if step == "b" else 1)
    assert ids[-1] == "a"
    assert texts([e for e in after if e["payload"]["id"] == "b"]) == "".join(  # type: ignore[index]
        f"b{i}" for i in range(30)
    )


async def test_a_sequence_token_replaces_what_it_is_merged_with(streams: Streams) -> None:
    session_id = str(uuid.uuid4())
    writer = UiWriter(streams)
    await writer.emit(token(session_id, "s", "first"))
    for text in ("x", "y", "z"):
        await writer.emit(token(session_id, "s", text))
    await writer.emit(token(session_id, "s", "whole text", sequence=True))
    await writer.emit(token(session_id, "s", " and more"))
    await writer.flush()

    events = await written(streams, session_id)
    # Replayed as the client would: a sequence token sets the text, others append.
    shown = ""
    for event in events:
        payload = event["payload"]
        shown = payload["token"] if payload["isSequence"] else shown + payload["token"]  # type: ignore[index]
    assert shown == "whole text and more"


async def test_a_cancelled_caller_does_not_cancel_the_write(streams: Streams) -> None:
    session_id = str(uuid.uuid4())
    writer = UiWriter(streams)

    async def callback() -> None:
        for i in range(200):
            await writer.emit(token(session_id, "s", f"{i},"))
        await writer.emit(TaskEnd(session_id=session_id))

    task = asyncio.create_task(callback())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await writer.flush()
    assert writer.idle
    events = await written(streams, session_id)
    # Whatever the callback emitted before the cancel is in Redis, whole and in order.
    shown = texts(events)
    assert shown == "".join(f"{i}," for i in range(len(shown.split(",")) - 1))


async def test_a_failed_write_is_raised_to_the_app(redis_prefix: str) -> None:
    unreachable = aioredis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    streams = Streams(unreachable, RedisNames(redis_prefix), session_ttl=60)
    writer = UiWriter(streams)
    session_id = str(uuid.uuid4())
    await writer.emit(token(session_id, "s", "lost"))
    with pytest.raises(RedisConnectionError):
        await writer.flush()
    # Every failed write is reported; none is taken for written.
    with pytest.raises(RedisConnectionError):
        await writer.emit(TaskEnd(session_id=session_id))
    await unreachable.aclose()


async def test_merged_tokens_stay_below_the_event_size_cap(streams: Streams) -> None:
    session_id = str(uuid.uuid4())
    writer = UiWriter(streams)
    big = [f"{i:04d}" + "x" * 3996 for i in range(100)]
    for text in big:
        await writer.emit(token(session_id, "s", text))
    await writer.flush()

    events = await written(streams, session_id)
    assert texts(events) == "".join(big)
    assert all(len(e["payload"]["token"]) <= MAX_MERGED_CHARS for e in events)  # type: ignore[index]
    assert len(events) < 50


async def test_a_step_is_stored_in_the_pipeline_that_shows_it(streams: Streams) -> None:
    writer = UiWriter(streams)
    before = await streams.redis.xlen(streams.names.persist_stream)
    fresh, talked = str(uuid.uuid4()), str(uuid.uuid4())
    await resolved(streams.redis.hset(streams.names.session(fresh), "record", "{}"))
    await streams.first_interaction(
        talked, ThreadUpsert(session_id=talked, payload=ThreadUpsertPayload())
    )
    for session_id in (fresh, talked):
        step = StepDict.model_validate({"id": session_id, "name": "s", "type": "run"})
        writer.enqueue_persist(StepUpsert(session_id=session_id, payload=step))
        await writer.emit(NewMessage(session_id=session_id, payload=step))

    # Shown, and stored with it: deferred before the first interaction, else on the stream.
    assert [e["type"] for e in await written(streams, fresh)] == ["new_message"]
    assert [e["type"] for e in await written(streams, talked)] == ["new_message"]
    assert await resolved(streams.redis.llen(streams.names.deferred(fresh))) == 1
    entries = await streams.redis.xrange(streams.names.persist_stream, count=100_000)
    stored = [orjson.loads(f[b"e"]) for _, f in entries[before:]]
    assert [(e["type"], e["session_id"]) for e in stored][-1] == ("step_upsert", talked)
