"""``user_session``: per-session values shared by every worker.

JSON-serialisable values are written back to Redis when the callback ends and
seen by whichever worker runs the session next. Other values (clients,
chains) stay in the worker that set them; see docs/user-session.md.
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
        ctx = get_context()
        ctx.user_session[key] = value
        ctx.dirty_keys.add(key)


user_session = UserSession()
