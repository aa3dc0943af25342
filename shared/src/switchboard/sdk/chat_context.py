"""``chat_context``: the session's message history, shared by every worker."""

from __future__ import annotations

from typing import Any

from switchboard.sdk.context import get_context

__all__ = ("ChatContext", "chat_context")

_ROLES = {"assistant_message": "assistant", "user_message": "user", "system_message": "system"}


class ChatContext:
    def get(self) -> list[dict[str, Any]]:
        return list(get_context().chat_messages)

    def to_openai(self) -> list[dict[str, str]]:
        return [
            {"role": _ROLES[m["type"]], "content": m.get("output") or ""}
            for m in get_context().chat_messages
            if m.get("type") in _ROLES
        ]

    def clear(self) -> None:
        from switchboard.sdk.utils import run_sync

        ctx = get_context()
        ctx.chat_messages.clear()
        run_sync(ctx.emitter.chat_context_clear(ctx.session_id))


chat_context = ChatContext()
