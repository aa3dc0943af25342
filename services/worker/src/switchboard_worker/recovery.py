"""When a callback does not end by itself: stopped by the user, or its worker died.

A stop cancels the running callback wherever it runs and calls ``on_stop``; a
worker that died leaves its input in the session's ``current`` hash, and the
next worker to hold the session reports it as failed.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from switchboard.aio import resolved
from switchboard.schema.events import (
    NewMessage,
    TaskEnd,
    UpdateMessage,
)
from switchboard.schema.persist import StepUpsert
from switchboard.schema.steps import StepDict, utc_now_iso
from switchboard.sdk.callbacks import call_user_function
from switchboard.sdk.context import bind_context
from switchboard.sdk.message import Message
from switchboard_worker.base import RunnerBase

__all__ = ("STOPPED_TEXT", "WORKER_LOST_TEXT", "Recovery")

logger = logging.getLogger(__name__)

WORKER_LOST_TEXT = "The worker running this request stopped unexpectedly. Please try again."
STOPPED_TEXT = "Task manually stopped."


class Recovery(RunnerBase):
    async def recover(self, session_id: str) -> None:
        """Report the input a dead worker left half-done: its run step failed, task over."""
        names = self.streams.names
        left = await resolved(self.streams.redis.hgetall(names.current(session_id)))
        if not left:
            return
        session = await self.load_session(session_id)
        if session is not None:
            ids = {"session_id": session_id, "thread_id": session.thread_id}
            raw_step = left.get(b"run_step")
            if raw_step:
                step = StepDict.model_validate_json(raw_step)
                step.isError = True
                step.output = WORKER_LOST_TEXT
                step.end = utc_now_iso()
                await self.streams.emit(UpdateMessage(payload=step, **ids))
                await self.streams.persist(StepUpsert(payload=step, **ids))
            else:
                await self.streams.emit(
                    NewMessage(
                        payload=StepDict.model_validate(
                            {
                                "id": str(uuid.uuid4()),
                                "threadId": session.thread_id,
                                "parentId": None,
                                "type": "assistant_message",
                                "name": "Error",
                                "output": WORKER_LOST_TEXT,
                                "isError": True,
                                "createdAt": utc_now_iso(),
                            }
                        ),
                        **ids,
                    )
                )
            await self.streams.emit(TaskEnd(**ids))
        await self.streams.redis.delete(names.current(session_id))
        logger.warning("recovered input of a lost worker", extra={"session_id": session_id})

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
