"""``user_session``: per-session values shared by every worker.

Values are Chainlit's: ``get`` returns the object itself, so changing it in
place changes the session. The worker stores every value that travels as JSON
when the callback ends (and before an ask waits); others (clients, chains)
stay in the worker that holds them. See docs/user-session.md and
``switchboard.session_state.UserSessionStore``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Generic, TypeVar, cast

from switchboard.sdk.context import get_context

__all__ = ("SessionAccessor", "UserSession", "user_session")

logger = logging.getLogger(__name__)
T = TypeVar("T")

_BUILTIN = ("id", "env", "chat_settings", "user", "chat_profile", "client_type")


class UserSession:
    def get(self, key: str, default: Any = None) -> Any:
        ctx = get_context()
        builtin = {
            "id": ctx.session.id,
            "env": ctx.session.user_env,
            "chat_settings": ctx.chat_settings,
            "user": ctx.session.user,
            "chat_profile": ctx.session.chat_profile,
            "client_type": ctx.session.client_type,
        }
        if key in builtin:
            return builtin[key]
        return ctx.user_session.get(key, default)

    def set(self, key: str, value: Any) -> None:
        if key in _BUILTIN:
            # As in Chainlit, a built-in key always reads the session's own value.
            logger.warning("user_session.set(%r) has no effect: the key is built in", key)
            return
        get_context().user_session[key] = value

    def create_accessor(
        self, key: str, default: T, *, apply_fn: Callable[[T], T] | None = None
    ) -> SessionAccessor[T]:
        """A typed view of one key; nothing is stored until ``set``/``reset``/``apply``."""
        return SessionAccessor(key, default, apply_fn=apply_fn)


class SessionAccessor(Generic[T]):
    """One ``user_session`` key with a default and an optional transform (Chainlit's)."""

    def __init__(self, key: str, default: T, *, apply_fn: Callable[[T], T] | None = None):
        self._key = key
        self._default = default
        self._apply_fn = apply_fn

    def get(self) -> T:
        return cast(T, user_session.get(self._key, self._default))

    def set(self, value: T) -> None:
        user_session.set(self._key, value)

    def reset(self) -> None:
        self.set(self._default)

    def apply(self) -> T:
        """Transform the value (if a function was given), store it, and return it."""
        value = self.get()
        if self._apply_fn is not None:
            value = self._apply_fn(value)
        self.set(value)
        return value


user_session = UserSession()
