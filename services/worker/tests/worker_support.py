"""Helpers of the worker's in-process tests (imported by name: this folder is on sys.path)."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
import redis.asyncio as aioredis

from switchboard.names import RedisNames
from switchboard.schema.jobs import MessageInput, MessagePayload
from switchboard.schema.persist import StepUpsert
from switchboard.schema.session import SessionRecord
from switchboard.schema.steps import StepDict, utc_now_iso
from switchboard.streams import Acceptance, MessageOffer, Streams, thread_created
from switchboard_worker.worker import WakeableWorker

__all__ = (
    "SERVICE_SECRET",
    "UNUSED_URL",
    "RunningWorker",
    "StartWorker",
    "persisted",
    "send_message",
    "ui_events",
)

SERVICE_SECRET = "worker-in-process-test-secret-" + "w" * 32
# Nothing listens here: the apps of these tests never reach the persistence service.
UNUSED_URL = "http://127.0.0.1:9"


@dataclass(frozen=True)
class RunningWorker:
    names: RedisNames
    worker: WakeableWorker
    streams: Streams
    # Creates a session through the sessions service, as a gateway's connect does.
    new_session: Callable[[], Awaitable[SessionRecord]]


StartWorker = Callable[..., contextlib.AbstractAsyncContextManager[RunningWorker]]


async def send_message(streams: Streams, session: SessionRecord, text: str) -> str:
    """Offer a user message as the gateway's ``client_message`` does; the step id.

    ``Streams.accept_message`` is the gateway's one round trip: it records the first
    interaction, persists the user step and queues the input in the session's inbox.
    """
    ids = {"session_id": session.id, "thread_id": session.thread_id}
    now = utc_now_iso()
    step = StepDict(
        id=str(uuid.uuid4()),
        name="User",
        type="user_message",
        output=text,
        threadId=session.thread_id,
        createdAt=now,
        start=now,
        end=now,
    )
    assert step.id is not None
    outcome = await streams.accept_message(
        MessageOffer(
            thread_id=session.thread_id,
            thread=thread_created(session, text, auto_tag=False),
            step=StepUpsert(payload=step, **ids),
            first_input=MessageInput(
                id=step.id, payload=MessagePayload(message=step, first_interaction=text), **ids
            ),
            later_input=MessageInput(id=step.id, payload=MessagePayload(message=step), **ids),
            rate_key=streams.names.message_rate(f"s:{session.id}", int(time.time() // 60)),
            rate_limit=0,
            max_session_inputs=0,
            max_queue_depth=0,
        )
    )
    assert outcome in (Acceptance.FIRST, Acceptance.ACCEPTED), outcome
    return step.id


async def ui_events(
    redis: aioredis.Redis, names: RedisNames, session_id: str
) -> list[dict[str, Any]]:
    """The session's UI stream, as the gateway's relay reads it."""
    entries = await redis.xrange(names.ui_stream(session_id))
    return [orjson.loads(fields[b"e"]) for _, fields in entries]


async def persisted(
    redis: aioredis.Redis, names: RedisNames, session_id: str
) -> list[dict[str, Any]]:
    """The session's events on the persistence stream, as the persistence service reads it."""
    entries = await redis.xrange(names.persist_stream)
    events = [orjson.loads(fields[b"e"]) for _, fields in entries]
    return [e for e in events if e["session_id"] == session_id]
