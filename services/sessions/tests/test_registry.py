"""The session registry against a real Redis."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from switchboard.names import RedisNames
from switchboard.schema.jobs import session_input_adapter
from switchboard.schema.session import ConnectRequest, UserRef
from switchboard.streams import Streams
from switchboard_sessions.errors import SessionEnded, SessionForbidden
from switchboard_sessions.registry import SessionRegistry


@pytest.fixture
async def registry(redis_url: str, redis_prefix: str) -> AsyncIterator[SessionRegistry]:
    client = aioredis.Redis.from_url(redis_url)
    streams = Streams(client, RedisNames(redis_prefix), session_ttl=60)
    yield SessionRegistry(client, streams, session_timeout=60)
    await client.aclose()


def _request(session_id: str, user: str | None) -> ConnectRequest:
    return ConnectRequest(session_id=session_id, user=UserRef(identifier=user) if user else None)


async def test_create_then_restore_by_the_same_identity(registry: SessionRegistry) -> None:
    sid = str(uuid.uuid4())
    created = await registry.connect(_request(sid, "alice"))
    assert created.restored is False
    restored = await registry.connect(_request(sid, "alice"))
    assert restored.restored is True
    assert restored.session.thread_id == created.session.thread_id


@pytest.mark.parametrize(("owner", "intruder"), [("alice", "bob"), ("alice", None), (None, "bob")])
async def test_restore_by_another_identity_is_refused(
    registry: SessionRegistry, owner: str | None, intruder: str | None
) -> None:
    sid = str(uuid.uuid4())
    await registry.connect(_request(sid, owner))
    with pytest.raises(SessionForbidden):
        await registry.connect(_request(sid, intruder))


async def test_reconnect_within_grace_cancels_the_end(registry: SessionRegistry) -> None:
    sid = str(uuid.uuid4())
    await registry.connect(_request(sid, None))
    await registry.disconnect(sid, clear=False)
    await registry.connect(_request(sid, None))
    registry.session_timeout = 0
    assert await registry.reap() == []


async def test_grace_over_enqueues_exactly_one_chat_end(registry: SessionRegistry) -> None:
    sid = str(uuid.uuid4())
    await registry.connect(_request(sid, None))
    await registry.disconnect(sid, clear=True)
    assert await registry.reap() == [sid]
    assert await registry.reap() == []
    inbox = await registry.redis.lrange(registry.names.inbox(sid), 0, -1)
    assert [session_input_adapter.validate_json(i).type for i in inbox] == ["chat_end"]
    # Once ending, the id cannot be restored: the client must start afresh.
    with pytest.raises(SessionEnded):
        await registry.connect(_request(sid, None))


async def test_grace_is_respected(registry: SessionRegistry) -> None:
    sid = str(uuid.uuid4())
    await registry.connect(_request(sid, None))
    await registry.disconnect(sid, clear=False)
    assert await registry.reap() == []
    score = await registry.redis.zscore(registry.names.expiring, sid)
    assert score is not None and score > time.time() + 50
