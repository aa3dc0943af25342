"""The SDK's emitter inside a worker: everything goes to Redis, nothing to sockets."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import orjson

from switchboard.aio import resolved
from switchboard.schema.envelope import Envelope
from switchboard.schema.events import (
    Ask,
    AskTimeout,
    CallFn,
    CallFnTimeout,
    ClearCallFn,
    FirstInteraction,
    FirstInteractionPayload,
)
from switchboard.schema.history import StoredFile
from switchboard.schema.session import SessionRecord
from switchboard.session_state import SessionState
from switchboard.streams import Streams, thread_created
from switchboard_worker.threads import PersistenceClient
from switchboard_worker.ui_writer import UiWriter

__all__ = ("RedisEmitter",)


class RedisEmitter:
    """Bound to one session for the duration of one input."""

    def __init__(
        self,
        streams: Streams,
        session: SessionRecord,
        auto_tag: bool,
        persistence: PersistenceClient,
        writer: UiWriter | None = None,
    ) -> None:
        self._persistence = persistence
        self._streams = streams
        self._redis = streams.redis
        self._names = streams.names
        self._session = session
        self._auto_tag = auto_tag
        # Shared by every emitter of the session in this worker, so order holds across them.
        self._writer = writer if writer is not None else UiWriter(streams)
        # A deferred ``first_interaction``, shown right after the next event.
        self._deferred: list[Envelope] = []

    async def emit(self, event: Envelope) -> None:
        await self._writer.emit(event)
        if self._deferred:
            await self.flush()

    async def flush(self) -> None:
        """Write what is queued, deferred events included, and wait until it is in Redis."""
        deferred, self._deferred = self._deferred, []
        self._writer.enqueue(deferred)
        await self._writer.flush()

    async def persist(self, event: Envelope) -> None:
        """Queue ``event`` ahead of whatever is emitted next (see ``UiWriter``).

        It returns without waiting, so a step's persistence and UI events are queued
        together in call order and written in one pipeline, persistence first; the
        next emit, flush or the end of the callback writes it.
        """
        self._writer.enqueue_persist(event)

    async def ask(self, event: Ask) -> Any:
        sid = event.session_id
        ask_id = event.payload.spec.step_id
        answer_key = self._names.answer(sid, ask_id)
        asks_key = self._names.asks(sid)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(asks_key, ask_id, event.model_dump_json())
            pipe.expire(asks_key, self._streams.session_ttl)
            await pipe.execute()
        await self.emit(event)
        try:
            result = await resolved(
                self._redis.blpop([answer_key], timeout=event.payload.spec.timeout)
            )
        finally:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hdel(asks_key, ask_id)
                pipe.delete(answer_key)
                await pipe.execute()
        if result is None:
            await self.emit(AskTimeout(session_id=sid, thread_id=event.thread_id))
            raise TimeoutError(f"no answer within {event.payload.spec.timeout} s")
        return orjson.loads(result[1])

    async def call_fn(self, event: CallFn, timeout: float) -> Any:
        """Send a copilot function call; its ack comes back through any gateway."""
        sid = event.session_id
        calls_key = self._names.calls(sid)
        answer_key = self._names.answer(sid, event.id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(calls_key, event.id, event.model_dump_json())
            pipe.expire(calls_key, self._streams.session_ttl)
            await pipe.execute()
        await self.emit(event)
        try:
            wait_s = max(1, math.ceil(timeout))
            result = await resolved(self._redis.blpop([answer_key], timeout=wait_s))
        finally:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hdel(calls_key, event.id)
                pipe.delete(answer_key)
                await pipe.execute()
        if result is None:
            await self.emit(CallFnTimeout(session_id=sid, thread_id=event.thread_id))
            return None
        await self.emit(ClearCallFn(session_id=sid, thread_id=event.thread_id))
        return orjson.loads(result[1])

    async def store_file(
        self, *, session_id: str, name: str, mime: str, data: bytes | None, path: Path | None
    ) -> StoredFile:
        return await self._persistence.store_file(
            user=self._session.user,
            session_id=session_id,
            thread_id=None,
            name=name,
            mime=mime,
            data=data,
            path=path,
        )

    async def load_file(self, session_id: str, file_id: str) -> tuple[StoredFile, Path] | None:
        return await self._persistence.load_file(
            user=self._session.user, session_id=session_id, file_id=file_id
        )

    async def save_chat_settings(
        self, session_id: str, values: dict[str, Any], spec: list[dict[str, Any]] | None
    ) -> None:
        await SessionState(self._redis, self._names).save_chat_settings(session_id, values, spec)

    async def chat_context_add(self, session_id: str, message: dict[str, Any]) -> None:
        key = self._names.chat_context(session_id)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hset(key, message["id"], orjson.dumps(message).decode())
            pipe.expire(key, self._streams.session_ttl)
            await pipe.execute()

    async def chat_context_remove(self, session_id: str, message_id: str) -> None:
        await resolved(self._redis.hdel(self._names.chat_context(session_id), message_id))

    async def chat_context_clear(self, session_id: str) -> None:
        await self._redis.delete(self._names.chat_context(session_id))

    async def first_interaction(
        self, session_id: str, interaction: str, *, deferred: bool = False
    ) -> bool:
        thread = thread_created(self._session, interaction, auto_tag=self._auto_tag)
        if not await self._streams.first_interaction(session_id, thread):
            return False
        event = FirstInteraction(
            session_id=session_id,
            thread_id=self._session.thread_id,
            payload=FirstInteractionPayload(
                interaction=interaction, thread_id=self._session.thread_id
            ),
        )
        if deferred:
            self._deferred.append(event)
        else:
            await self.emit(event)
        return True
