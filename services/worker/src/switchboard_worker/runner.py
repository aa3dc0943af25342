"""Run one session input through the app's callbacks, in Chainlit's event order.

``SessionRunner.handle`` loads the session's state, dispatches the input to
its flow (``flows``), and stores ``user_session``; ``recovery`` covers stops and
lost workers.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from switchboard.config import AppConfig, apply_overrides
from switchboard.schema.jobs import (
    ActionInput,
    AudioChunkInput,
    AudioEndInput,
    AudioStartInput,
    ChatEndInput,
    ChatStartInput,
    EditMessageInput,
    FeedbackInput,
    MessageInput,
    ResumeInput,
    SessionInput,
    SettingsEditInput,
    SettingsPayload,
    SettingsUpdateInput,
    WindowMessageInput,
)
from switchboard.schema.mcp import McpConnectInput, McpDisconnectInput, McpSpec
from switchboard.schema.session import SessionRecord
from switchboard.sdk.callbacks import AppCallbacks, call_user_function
from switchboard.sdk.context import SessionContext, bind_context
from switchboard.sdk.types import Feedback
from switchboard.sealing import SecretSealer
from switchboard.session_state import SessionState, UserSessionStore
from switchboard.streams import Streams
from switchboard_worker.app_calls import _user
from switchboard_worker.emitter import RedisEmitter
from switchboard_worker.flows import CallbackFlows
from switchboard_worker.mcp_flows import McpFlows
from switchboard_worker.mcp_pool import McpLimits, McpPool
from switchboard_worker.recovery import Recovery
from switchboard_worker.threads import PersistenceClient
from switchboard_worker.ui_writer import UiWriter

__all__ = ("SessionRunner",)

logger = logging.getLogger(__name__)


def _sent(payload: SettingsPayload) -> dict[str, Any]:
    """What the client sent (inputs queued before ``sent`` existed carry only the merge)."""
    return dict(payload.sent if payload.sent is not None else payload.settings)


class SessionRunner(CallbackFlows, McpFlows, Recovery):
    """Turns inputs into callback runs; one instance per worker process."""

    def __init__(
        self,
        streams: Streams,
        app: AppCallbacks,
        config: AppConfig,
        threads: PersistenceClient,
        *,
        worker_id: str = "",
        sealer: SecretSealer,
        mcp_limits: McpLimits | None = None,
    ) -> None:
        self.streams = streams
        self.worker_id = worker_id
        # Opens the sealed header/env values of MCP specs read from Redis, seals them back.
        self.sealer = sealer
        # The MCP servers this worker holds for its sessions.
        self.mcp = McpPool(mcp_limits or McpLimits())
        # Each session's stored MCP specs, as loaded for its running input.
        self._mcp_stored: dict[str, dict[str, McpSpec]] = {}
        self.threads = threads
        self.app = app
        self.config = config
        self.state = SessionState(streams.redis, streams.names)
        # user_session: live objects kept here, what travels stored in Redis.
        self.user_sessions = UserSessionStore(streams.redis, streams.names)
        self.running: dict[str, asyncio.Task[None]] = {}
        # Sessions whose running callback was cancelled by a stop request.
        self.stopping: set[str] = set()
        # Each session's UI writes in this worker go through one ordered queue.
        self.writers: dict[str, UiWriter] = {}

    async def handle(self, item: SessionInput) -> None:
        session = await self.load_session(item.session_id)
        if session is None:
            logger.info(
                "input for an ended session dropped",
                extra={"session_id": item.session_id, "input": item.type},
            )
            return
        resumed: dict[str, Any] | None = None
        if isinstance(item, ResumeInput):
            resumed, session = await self._switch_to_thread(session)
        ctx = await self._context(session)
        ctx.resumed_thread = resumed
        started = time.perf_counter()
        # A task of its own gives the callback a fresh copy of the context vars,
        # and is what a stop request cancels.
        task = asyncio.create_task(self._run(ctx, item))
        self.running[session.id] = task
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            if session.id not in self.stopping:
                task.cancel()
                raise
        finally:
            self.running.pop(session.id, None)
        if session.id in self.stopping:
            self.stopping.discard(session.id)
            await self.after_stop(session.id, notice=False)
        # Tokens still merging are written before the input counts as done.
        await ctx.emitter.flush()
        self._forget_writer(session.id)
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
        loaded = await self.user_sessions.load_for_callback(session.id)
        snapshot = loaded.user_session
        ctx = SessionContext(
            session=session,
            emitter=RedisEmitter(
                self.streams,
                session,
                self.config.features.auto_tag_thread,
                self.threads,
                self._writer(session.id),
            ),
            user_session=snapshot.values,
            chat_settings=loaded.chat_settings,
            chat_messages=loaded.chat_messages,
            author_rename=self.app.get("author_rename"),
            loop=asyncio.get_running_loop(),
            config=self.config,
            profile_config=await self._profile_config(session),
            mcp_sessions=self.mcp.view(session.id),
        )
        self._mcp_stored[session.id] = loaded.mcp_specs

        async def checkpoint() -> None:
            await self.user_sessions.save(snapshot)

        ctx.checkpoint = checkpoint
        return ctx

    async def _profile_config(self, session: SessionRecord) -> AppConfig | None:
        """The app's config with the session's chat profile ``config_overrides`` applied."""
        hook = self.app.get("set_chat_profiles")
        if not session.chat_profile or hook is None:
            return None
        try:
            profiles = await call_user_function(hook, _user(session.user), session.language)
        except Exception:
            logger.exception("set_chat_profiles failed", extra={"session_id": session.id})
            return None
        for profile in profiles or []:
            data = profile.to_dict() if hasattr(profile, "to_dict") else dict(profile)
            if data.get("name") == session.chat_profile and data.get("config_overrides"):
                return apply_overrides(self.config, data["config_overrides"])
        return None

    async def _run(self, ctx: SessionContext, item: SessionInput) -> None:
        bind_context(ctx)
        stored = self._mcp_stored.pop(ctx.session_id, {})
        if not isinstance(item, ChatEndInput) and (stored or self.mcp.specs(ctx.session_id)):
            await self._mcp_follow(ctx, stored)
        if isinstance(item, ChatStartInput):
            await self._mcp_configured(ctx)
            await self._chat_start(ctx)
        elif isinstance(item, ResumeInput):
            await self._resume(ctx)
        elif isinstance(item, MessageInput):
            await self._message(ctx, item)
        elif isinstance(item, EditMessageInput):
            await self._edit_message(ctx, item)
        elif isinstance(item, ActionInput):
            await self._action(ctx, item)
        elif isinstance(item, SettingsUpdateInput):
            # Chainlit's hooks get the values as the client sent them; the session
            # keeps them merged into its settings.
            ctx.chat_settings = item.payload.settings
            await self._task("on_settings_update", ctx, _sent(item.payload))
        elif isinstance(item, SettingsEditInput):
            await self._task("on_settings_edit", ctx, _sent(item.payload))
        elif isinstance(item, FeedbackInput):
            await self._call("on_feedback", ctx, Feedback(**item.payload.model_dump()))
        elif isinstance(item, WindowMessageInput):
            await self._call("on_window_message", ctx, item.payload)
        elif isinstance(item, ChatEndInput):
            try:
                await self._chat_end(ctx)
            finally:
                await self._mcp_end(ctx.session_id)
        elif isinstance(item, AudioStartInput | AudioChunkInput | AudioEndInput):
            await self._audio(ctx, item)
        elif isinstance(item, McpConnectInput):
            await self._mcp_connect(ctx, item)
        elif isinstance(item, McpDisconnectInput):
            await self._mcp_disconnect(ctx, item)

    async def _save_user_session(self, ctx: SessionContext) -> None:
        """Store every user_session value the callback set or changed in place."""
        if ctx.checkpoint is not None:
            await ctx.checkpoint()
