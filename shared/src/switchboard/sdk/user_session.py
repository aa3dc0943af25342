"""``user_session``: per-session values shared by every worker.

Values are Chainlit's: ``get`` returns the object itself, so changing it in
place changes the session. The worker stores every value that travels as JSON
when the callback ends (and before an ask waits); others (clients, chains)
stay in the worker that holds them. See docs/user-session.md and
``switchboard.session_state.UserSessionStore``.
"""

from __future__ import annotations

from typing import Any

from switchboard.sdk.context import get_context

__all__ = ("UserSession", "user_session")

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
            raise KeyError(f"user_session key {key!r} is managed by Switchboard")
        get_context().user_session[key] = value


user_session = UserSession()
