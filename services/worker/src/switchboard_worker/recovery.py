"""When a callback does not end by itself: stopped by the user, or its worker died.

A stop cancels the running callback wherever it runs and calls ``on_stop``; a
worker that died leaves its input in the session's ``current`` hash, and the
next worker to hold the session runs it again if the app said that is safe
(``@cl.on_message(retry=True)`` or ``[project] retry_lost_inputs``), otherwise
reports it as failed, on screen and in the thread.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from switchboard.aio import resolved
from switchboard.schema.envelope import Envelope
from switchboard.schema.events import (
    NewMessage,
    TaskEnd,
    UpdateMessage,
)
from switchboard.schema.jobs import MessageInput, SessionInput, session_input_adapter
from switchboard.schema.persist import StepUpsert
from switchboard.schema.steps import StepDict, utc_now_iso
from switchboard.sdk.callbacks import call_user_function
from switchboard.sdk.context import bind_context
from switchboard.sdk.message import Message
from switchboard.ui_streams import PersistEntry
from switchboard_worker.base import RunnerBase

__all__ = ("MAX_RETRIES", "STOPPED_TEXT", "WORKER_LOST_RETRY_TEXT", "WORKER_LOST_TEXT", "Recovery")

logger = logging.getLogger(__name__)

WORKER_LOST_TEXT = "The worker running this request stopped unexpectedly. Please try again."
WORKER_LOST_RETRY_TEXT = "The worker running this request stopped unexpectedly; running it again."
# A lost input runs again at most this many times: an input that kills its worker
# every time must not take the whole fleet down one worker after another.
MAX_RETRIES = 1
STOPPED_TEXT = "Task manually stopped."


class Recovery(RunnerBase):
    async def recover(self, session_id: str) -> SessionInput | None:
        """Deal with the input a dead worker left in ``current``.

        Returned (to be run again, still in ``current``) once if the app marked it
        safe to repeat; otherwise reported as failed, live and in the thread.
        """
        names = self.streams.names
        left = await resolved(self.streams.redis.hgetall(names.current(session_id)))
        if not left:
            return None
        item = self._left_input(session_id, left.get(b"input"))
        attempts = int(left.get(b"attempts") or 0)
        again = item is not None and attempts < MAX_RETRIES and self._retry_allowed(item)
        session = await self.load_session(session_id)
        raw_step = left.get(b"run_step")
        # Nothing of a retried input was shown yet: it simply runs; no notice needed.
        if session is not None and (raw_step or not again):
            ids = {"session_id": session_id, "thread_id": session.thread_id}
            text = WORKER_LOST_RETRY_TEXT if again else WORKER_LOST_TEXT
            if raw_step:
                step = StepDict.model_validate_json(raw_step)
                step.isError = True
                step.output = text
                step.end = utc_now_iso()
                events: list[Envelope] = [UpdateMessage(payload=step, **ids)]
            else:
                step = StepDict.model_validate(
                    {
                        "id": str(uuid.uuid4()),
                        "threadId": session.thread_id,
                        "parentId": None,
                        "type": "assistant_message",
                        "name": "Error",
                        "output": text,
                        "isError": True,
                        "createdAt": utc_now_iso(),
                    }
                )
                events = [NewMessage(payload=step, **ids)]
            if not again:
                events.append(TaskEnd(**ids))
            # One pipeline, the stored error first: never shown without being stored.
            await self.streams.emit_many([PersistEntry(StepUpsert(payload=step, **ids)), *events])
        if again and session is not None:
            async with self.streams.redis.pipeline(transaction=True) as pipe:
                pipe.hset(names.current(session_id), "attempts", str(attempts + 1))
                pipe.hdel(names.current(session_id), "run_step")
                await pipe.execute()
            logger.warning(
                "running the input of a lost worker again",
                extra={"session_id": session_id, "input": item.type if item else None},
            )
            return item
        await self.streams.redis.delete(names.current(session_id))
        logger.warning(
            "reported the input of a lost worker as failed", extra={"session_id": session_id}
        )
        return None

    def _left_input(self, session_id: str, raw: bytes | None) -> SessionInput | None:
        if not raw:
            return None
        try:
            return session_input_adapter.validate_json(raw)
        except ValueError:
            logger.error("malformed lost input", extra={"session_id": session_id})
            return None

    def _retry_allowed(self, item: SessionInput) -> bool:
        """``[project] retry_lost_inputs`` for every input, ``on_message(retry=True)`` for messages."""
        if self.config.project.retry_lost_inputs:
            return True
        return isinstance(item, MessageInput) and "on_message" in self.app.retry_safe

    async def cancel_running(self, session_id: str) -> bool:
        """Chainlit's stop of a running callback: the notice, then the cancel.

        ``on_stop`` runs once the cancelled callback has ended (``after_stop``).
        """
        task = self.running.get(session_id)
        if task is None or task.done():
            return False
        self.stopping.add(session_id)
        await self._stop_notice(session_id)
        task.cancel()
        return True

    async def after_stop(self, session_id: str, *, notice: bool = True) -> None:
        """Chainlit's stop outcome: a notice (unless already shown), then ``on_stop``."""
        if await self._in_session(session_id, notice=notice, on_stop=True):
            self._forget_writer(session_id)
            logger.info("session stopped", extra={"session_id": session_id})

    async def _stop_notice(self, session_id: str) -> None:
        await self._in_session(session_id, notice=True, on_stop=False)

    async def _in_session(self, session_id: str, *, notice: bool, on_stop: bool) -> bool:
        """Show the stop notice and/or run ``on_stop`` in the session's context, in a
        task of its own; False if the session has ended."""
        session = await self.load_session(session_id)
        if session is None:
            return False
        ctx = await self._context(session)

        async def run() -> None:
            bind_context(ctx)
            if notice:
                await Message(content=STOPPED_TEXT, parent_id=None).send()
            hook = self.app.get("on_stop") if on_stop else None
            if hook is not None:
                try:
                    await call_user_function(hook)
                except Exception:
                    logger.exception("on_stop failed", extra={"session_id": session_id})

        await asyncio.create_task(run())
        # Written before the caller goes on: the notice keeps its place in the stream.
        await ctx.emitter.flush()
        return True
