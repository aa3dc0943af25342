"""What the parts of a session runner share: its stores and the work in flight."""

from __future__ import annotations

import asyncio
import json

from switchboard.aio import resolved
from switchboard.config import AppConfig
from switchboard.schema.session import SessionRecord
from switchboard.sdk.callbacks import AppCallbacks
from switchboard.sdk.context import SessionContext
from switchboard.sdk.step import Step
from switchboard.session_state import SessionState, UserSessionStore
from switchboard.streams import Streams
from switchboard_worker.threads import PersistenceClient
from switchboard_worker.ui_writer import UiWriter

__all__ = ("RunnerBase",)


class RunnerBase:
    """Attributes set by ``SessionRunner.__init__``, typed once for every part."""

    streams: Streams
    threads: PersistenceClient
    app: AppCallbacks
    config: AppConfig
    state: SessionState
    user_sessions: UserSessionStore
    running: dict[str, asyncio.Task[None]]
    # Sessions whose running callback was cancelled by a stop request.
    stopping: set[str]
    writers: dict[str, UiWriter]

    async def load_session(self, session_id: str) -> SessionRecord | None:
        return await self.state.record(session_id)

    def _writer(self, session_id: str) -> UiWriter:
        writer = self.writers.get(session_id)
        if writer is None:
            writer = self.writers[session_id] = UiWriter(self.streams)
        return writer

    def _forget_writer(self, session_id: str) -> None:
        writer = self.writers.get(session_id)
        if writer is not None and writer.idle and session_id not in self.running:
            del self.writers[session_id]

    async def _context(self, session: SessionRecord) -> SessionContext:
        """The context a callback of ``session`` runs in (``SessionRunner`` builds it)."""
        raise NotImplementedError

    async def note_run_step(self, ctx: SessionContext, step: Step) -> None:
        """Remember the running input's run step, so its failure can be shown if we die."""
        await resolved(
            self.streams.redis.hset(
                self.streams.names.current(ctx.session_id),
                "run_step",
                json.dumps(step.to_dict()),
            )
        )
