"""A client message taken in one script against a real Redis: every outcome, all or nothing."""

from __future__ import annotations

import time
import uuid

import orjson
import pytest
import redis.asyncio as aioredis
from arq.constants import job_key_prefix

from switchboard.names import RedisNames
from switchboard.schema.jobs import MessageInput, MessagePayload
from switchboard.schema.persist import StepUpsert
from switchboard.schema.session import SessionRecord
from switchboard.schema.steps import StepDict
from switchboard.session_state import SessionField
from switchboard.streams import Acceptance, MessageOffer, Streams, thread_created


@pytest.fixture
def streams(redis_client: aioredis.Redis, redis_prefix: str) -> Streams:
    return Streams(redis_client, RedisNames(redis_prefix), session_ttl=600)


async def open_session(streams: Streams) -> SessionRecord:
    record = SessionRecord(
        id=str(uuid.uuid4()), thread_id=str(uuid.uuid4()), created_at=time.time()
    )
    await streams.redis.hset(
        streams.names.session(record.id), SessionField.RECORD, record.model_dump_json()
    )
    return record


def offer(
    streams: Streams,
    session: SessionRecord,
    text: str = "hello",
    *,
    thread_id: str | None = None,
    rate_limit: int = 0,
    max_inputs: int = 0,
    max_depth: int = 0,
    message_id: str | None = None,
) -> MessageOffer:
    step = StepDict(
        id=message_id or str(uuid.uuid4()),
        threadId=session.thread_id,
        type="user_message",
        name="User",
        output=text,
    )
    ids = {"session_id": session.id, "thread_id": session.thread_id}

    def queued(first: str | None) -> MessageInput:
        assert step.id is not None
        return MessageInput(
            id=step.id, payload=MessagePayload(message=step, first_interaction=first), **ids
        )

    return MessageOffer(
        thread_id=thread_id or session.thread_id,
        thread=thread_created(session, text, auto_tag=False),
        step=StepUpsert(payload=step, **ids),
        first_input=queued(text),
        later_input=queued(None),
        rate_key=streams.names.message_rate(f"s:{session.id}", 0),
        rate_limit=rate_limit,
        max_session_inputs=max_inputs,
        max_queue_depth=max_depth,
    )


async def persisted(streams: Streams) -> list[str]:
    entries = await streams.redis.xrange(streams.names.persist_stream)
    return [orjson.loads(fields[b"e"])["type"] for _, fields in entries]


async def inbox(streams: Streams, session: SessionRecord) -> list[dict[str, object]]:
    raw = await streams.redis.lrange(streams.names.inbox(session.id), 0, -1)
    return [orjson.loads(item) for item in raw]


async def test_the_first_message_creates_the_thread_then_later_ones_just_queue(
    streams: Streams,
) -> None:
    session = await open_session(streams)
    # A step the app wrote before anyone spoke waits for the thread.
    await streams.redis.rpush(streams.names.deferred(session.id), b'{"type": "step_upsert"}')

    assert await streams.accept_message(offer(streams, session, "first")) is Acceptance.FIRST
    assert await streams.accept_message(offer(streams, session, "second")) is Acceptance.ACCEPTED

    assert await persisted(streams) == [
        "thread_upsert",
        "step_upsert",
        "step_upsert",
        "step_upsert",
    ]
    queued = await inbox(streams, session)
    assert [item["payload"]["first_interaction"] for item in queued] == ["first", None]  # type: ignore[index]
    assert await streams.redis.zcard(streams.names.queue) == 2
    assert not await streams.redis.exists(streams.names.deferred(session.id))


async def test_a_repeated_message_id_changes_nothing(streams: Streams) -> None:
    session = await open_session(streams)
    message_id = str(uuid.uuid4())
    assert await streams.accept_message(offer(streams, session, message_id=message_id)) is (
        Acceptance.FIRST
    )
    before = await persisted(streams)
    repeated = offer(streams, session, message_id=message_id)
    assert await streams.accept_message(repeated) is Acceptance.DUPLICATE
    assert await persisted(streams) == before
    assert len(await inbox(streams, session)) == 1
    assert await streams.redis.exists(job_key_prefix + f"{session.id}:{message_id}")


async def test_another_sessions_message_id_is_not_a_duplicate(streams: Streams) -> None:
    """Message ids come from clients: one user's ids never block another's messages."""
    message_id = str(uuid.uuid4())
    alice, bob = await open_session(streams), await open_session(streams)
    assert await streams.accept_message(offer(streams, alice, message_id=message_id)) is (
        Acceptance.FIRST
    )
    assert await streams.accept_message(offer(streams, bob, message_id=message_id)) is (
        Acceptance.FIRST
    )
    assert len(await inbox(streams, bob)) == 1


async def test_an_ended_or_moved_session_takes_nothing(streams: Streams) -> None:
    session = await open_session(streams)
    moved = offer(streams, session, thread_id=str(uuid.uuid4()))
    assert await streams.accept_message(moved) is Acceptance.MOVED

    await streams.redis.delete(streams.names.session(session.id))
    assert await streams.accept_message(offer(streams, session)) is Acceptance.GONE

    assert await persisted(streams) == []
    assert await inbox(streams, session) == []
    assert await streams.redis.zcard(streams.names.queue) == 0


async def test_limits_refuse_before_anything_is_written(streams: Streams) -> None:
    session = await open_session(streams)
    assert await streams.accept_message(offer(streams, session, rate_limit=2)) is Acceptance.FIRST
    assert await streams.accept_message(offer(streams, session, rate_limit=2)) is (
        Acceptance.ACCEPTED
    )
    assert await streams.accept_message(offer(streams, session, rate_limit=2)) is (
        Acceptance.RATE_LIMITED
    )
    # The counter expires with its minute.
    assert 0 < await streams.redis.ttl(streams.names.message_rate(f"s:{session.id}", 0)) <= 120

    assert await streams.accept_message(offer(streams, session, max_inputs=2)) is (
        Acceptance.SESSION_FULL
    )
    assert await streams.accept_message(offer(streams, session, max_depth=2)) is (
        Acceptance.OVERLOADED
    )
    assert len(await inbox(streams, session)) == 2
    assert await persisted(streams) == ["thread_upsert", "step_upsert", "step_upsert"]
