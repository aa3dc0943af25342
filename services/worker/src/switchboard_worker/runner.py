"""Run one session input through the app's callbacks, in Chainlit's event order."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from switchboard.aio import resolved
from switchboard.config import AppConfig
from switchboard.schema.events import FirstInteraction, FirstInteractionPayload, TaskEnd, TaskStart
from switchboard.schema.jobs import ChatEndInput, ChatStartInput, MessageInput, SessionInput
from switchboard.schema.session import SessionRecord
from switchboard.sdk.callbacks import AppCallbacks, call_user_function
from switchboard.sdk.context import SessionContext, bind_context
from switchboard.sdk.message import ErrorMessage, Message
from switchboard.sdk.step import Step
from switchboard.streams import Streams
from switchboard_worker.emitter import RedisEmitter

__all__ = ("SessionRunner",)

logger = logging.getLogger(__name__)


class SessionRunner:
    """Turns inputs into callback runs; one instance per worker process."""

    def __init__(self, streams: Streams, app: AppCallbacks, config: AppConfig) -> None:
        self.streams = streams
        self.app = app
        self.config = config
        self.emitter = RedisEmitter(streams)
        # Values that could not be stored as JSON, kept for the session's next job here.
        self.local_values: dict[str, dict[str, Any]] = {}

    async def load_session(self, session_id: str) -> SessionRecord | None:
        raw = await resolved(
            self.streams.redis.hget(self.streams.names.session(session_id), "record")
        )
        return SessionRecord.model_validate_json(raw) if raw else None

    async def handle(self, item: SessionInput) -> None:
        session = await self.load_session(item.session_id)
        if session is None:
            logger.info(
                "input for an ended session dropped",
                extra={"session_id": item.session_id, "input": item.type},
            )
            return
        ctx = await self._context(session)
        started = time.perf_counter()
        # A task of its own gives the callback a fresh copy of the context vars.
        await asyncio.create_task(self._run(ctx, item))
        await self._save_user_session(ctx)
        logger.info(
            "input done",
            extra={
                "session_id": session.id,
                "thread_id": session.thread_id,
                "input": item.type,
                "ms": round((time.perf_counter() - started) * 1000, 2),
            },
        )

    async def _context(self, session: SessionRecord) -> SessionContext:
        redis = self.streams.redis
        names = self.streams.names
        async with redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(names.user_session(session.id))
            pipe.hget(names.session(session.id), "chat_settings")
            stored, settings_raw = await pipe.execute()
        values: dict[str, Any] = {k.decode(): json.loads(v) for k, v in stored.items()}
        values.update(self.local_values.get(session.id, {}))
        return SessionContext(
            session=session,
            emitter=self.emitter,
            config=self.config,
            user_session=values,
            chat_settings=json.loads(settings_raw) if settings_raw else {},
            loop=asyncio.get_running_loop(),
        )

    async def _run(self, ctx: SessionContext, item: SessionInput) -> None:
        bind_context(ctx)
        if isinstance(item, ChatStartInput):
            await self._chat_start(ctx)
        elif isinstance(item, MessageInput):
            await self._message(ctx, item)
        elif isinstance(item, ChatEndInput):
            await self._chat_end(ctx)

    async def _chat_start(self, ctx: SessionContext) -> None:
        if self.app.on_chat_start is None:
            return
        await self._task_event(ctx, start=True)
        try:
            async with Step(name="on_chat_start", type="run") as run:
                run.input = {}
                await call_user_function(self.app.on_chat_start)
        except Exception as exc:
            logger.exception("on_chat_start failed", extra={"session_id": ctx.session_id})
            await ErrorMessage(content=str(exc), author="Error").send()
        finally:
            await self._task_event(ctx, start=False)

    async def _message(self, ctx: SessionContext, item: MessageInput) -> None:
        step = item.payload.message
        await self._task_event(ctx, start=True)
        try:
            if item.payload.first_interaction is not None:
                await ctx.emitter.emit(
                    FirstInteraction(
                        session_id=ctx.session_id,
                        thread_id=ctx.thread_id,
                        payload=FirstInteractionPayload(
                            interaction=item.payload.first_interaction,
                            thread_id=ctx.thread_id,
                        ),
                    )
                )
            if self.app.on_message is None:
                return
            message = Message(
                content=step.output or "",
                author=step.name or "User",
                type="user_message",
                id=step.id,
                parent_id=step.parentId,
                metadata=step.metadata,
                command=step.command,
                modes=step.modes,
                created_at=step.createdAt,
            )
            try:
                async with Step(name="on_message", type="run", parent_id=message.id) as run:
                    try:
                        await call_user_function(self.app.on_message, message)
                    finally:
                        run.input = message.content
            except Exception:
                # Chainlit shows this as the run step's error, not as a message.
                logger.exception(
                    "on_message failed",
                    extra={"session_id": ctx.session_id, "thread_id": ctx.thread_id},
                )
        finally:
            await self._task_event(ctx, start=False)

    async def _chat_end(self, ctx: SessionContext) -> None:
        try:
            if self.app.on_chat_end is not None:
                await call_user_function(self.app.on_chat_end)
        except Exception:
            logger.exception("on_chat_end failed", extra={"session_id": ctx.session_id})
        finally:
            self.local_values.pop(ctx.session_id, None)
            await self.streams.redis.delete(*self.streams.names.session_keys(ctx.session_id))

    async def _task_event(self, ctx: SessionContext, *, start: bool) -> None:
        event = TaskStart if start else TaskEnd
        await ctx.emitter.emit(event(session_id=ctx.session_id, thread_id=ctx.thread_id))

    async def _save_user_session(self, ctx: SessionContext) -> None:
        if not ctx.dirty_keys:
            return
        if not await self.streams.redis.exists(self.streams.names.session(ctx.session_id)):
            return  # the session ended during the callback
        stored: dict[str, str] = {}
        local = self.local_values.setdefault(ctx.session_id, {})
        for key in ctx.dirty_keys:
            value = ctx.user_session.get(key)
            try:
                stored[key] = json.dumps(value)
                local.pop(key, None)
            except (TypeError, ValueError):
                local[key] = value
        if stored:
            await resolved(
                self.streams.redis.hset(
                    self.streams.names.user_session(ctx.session_id), mapping=stored
                )
            )
