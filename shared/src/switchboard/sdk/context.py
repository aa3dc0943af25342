"""The per-callback context: which session, which emitter, which steps are open.

Workers bind a ``SessionContext`` around each callback; SDK objects read it to
know where their events go. Outside a callback, touching it raises.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import PrivateAttr

from switchboard.config import AppConfig
from switchboard.schema.envelope import Envelope
from switchboard.schema.events import Ask, CallFn
from switchboard.schema.history import StoredFile
from switchboard.schema.session import SessionRecord, UserRef

if TYPE_CHECKING:
    from switchboard.sdk.emitter import AppEmitter
    from switchboard.sdk.step import Step

__all__ = (
    "CallbackSession",
    "ContextError",
    "Emitter",
    "SessionContext",
    "bind_context",
    "context",
    "current_steps",
    "get_context",
)


class ContextError(RuntimeError):
    """SDK call made outside a session callback."""


class Emitter(Protocol):
    """Where SDK objects send what they produce; workers implement it over Redis."""

    async def emit(self, event: Envelope) -> None: ...

    async def persist(self, event: Envelope) -> None: ...

    async def ask(self, event: Ask) -> Any:
        """Show an ask and wait for its answer; on timeout show ``ask_timeout`` and raise
        ``TimeoutError``."""
        ...

    async def call_fn(self, event: CallFn, timeout: float) -> Any:
        """Send a copilot function call and wait for its ack (None on timeout)."""
        ...

    async def save_chat_settings(
        self, session_id: str, values: dict[str, Any], spec: list[dict[str, Any]] | None
    ) -> None: ...

    async def chat_context_add(self, session_id: str, message: dict[str, Any]) -> None: ...

    async def chat_context_remove(self, session_id: str, message_id: str) -> None: ...

    async def chat_context_clear(self, session_id: str) -> None: ...

    async def store_file(
        self, *, session_id: str, name: str, mime: str, data: bytes | None, path: Path | None
    ) -> StoredFile:
        """Put content (bytes, or a file on the app's disk) into object storage."""
        ...

    async def load_file(self, session_id: str, file_id: str) -> tuple[StoredFile, Path] | None:
        """Fetch a file the session's user may read into a local temporary path."""
        ...

    async def first_interaction(
        self, session_id: str, interaction: str, *, deferred: bool = False
    ) -> bool:
        """Mark the session's first interaction (creating its thread); True if it was.

        ``deferred`` shows ``first_interaction`` only after the next event (or at
        ``flush``), where Chainlit emits it from a task it starts in the background.
        """
        ...

    async def flush(self) -> None:
        """Show a deferred ``first_interaction`` now."""
        ...


@dataclass
class SessionContext:
    session: SessionRecord
    emitter: Emitter
    # The app's config.toml (Chainlit's global ``config``: default authors, step names).
    config: AppConfig
    user_session: dict[str, Any] = field(default_factory=dict)
    chat_settings: dict[str, Any] = field(default_factory=dict)
    chat_messages: list[dict[str, Any]] = field(default_factory=list)
    author_rename: Callable[..., Any] | None = None
    resumed_thread: dict[str, Any] | None = None
    loop: asyncio.AbstractEventLoop | None = None
    background: set[asyncio.Task[Any]] = field(default_factory=set)
    # Stores user_session as it is now; run before the session may move to
    # another worker (an ask's wait) and when a callback ends.
    checkpoint: Callable[[], Awaitable[None]] | None = None
    # ``config`` with the chat profile's ``config_overrides`` applied (Chainlit's
    # ``session.get_config()``); None when the profile overrides nothing.
    profile_config: AppConfig | None = None
    # name -> (mcp.ClientSession, AsyncExitStack): the session's MCP servers, held
    # by this worker (the dict is the worker's own, so connects show up at once).
    mcp_sessions: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    @property
    def session_id(self) -> str:
        return self.session.id

    @property
    def thread_id(self) -> str:
        return self.session.thread_id

    @property
    def session_config(self) -> AppConfig:
        return self.profile_config or self.config

    @property
    def user(self) -> UserRef | None:
        return self.session.user

    @property
    def current_step(self) -> Step | None:
        steps = current_steps.get()
        return steps[-1] if steps else None


_context: ContextVar[SessionContext | None] = ContextVar("switchboard_context", default=None)
current_steps: ContextVar[tuple[Step, ...]] = ContextVar("switchboard_steps", default=())


def get_context() -> SessionContext:
    ctx = _context.get()
    if ctx is None:
        raise ContextError("no Switchboard session context: call this from an app callback")
    return ctx


def bind_context(ctx: SessionContext) -> None:
    """Bind for the current task (and tasks it spawns later)."""
    _context.set(ctx)
    current_steps.set(())


class CallbackSession(SessionRecord):
    """``context.session``: the stored record plus what lives only in this worker."""

    _mcp_sessions: dict[str, tuple[Any, Any]] = PrivateAttr(default_factory=dict)

    @property
    def mcp_sessions(self) -> dict[str, tuple[Any, Any]]:
        """Chainlit's ``session.mcp_sessions``: name -> (ClientSession, AsyncExitStack)."""
        return self._mcp_sessions


class _ContextProxy:
    """``switchboard.context``: Chainlit's lazy proxy over the current context."""

    @property
    def session(self) -> CallbackSession:
        ctx = get_context()
        view = CallbackSession.model_construct(
            _fields_set=ctx.session.model_fields_set, **dict(ctx.session)
        )
        view._mcp_sessions = ctx.mcp_sessions
        return view

    @property
    def emitter(self) -> AppEmitter:
        from switchboard.sdk.emitter import AppEmitter

        return AppEmitter(get_context())

    @property
    def current_step(self) -> Step | None:
        return get_context().current_step


context = _ContextProxy()
