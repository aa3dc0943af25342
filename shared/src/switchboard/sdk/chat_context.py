"""``chat_context``: the session's message history, shared by every worker.

As in Chainlit, ``get`` returns ``Message`` objects and ``to_openai`` gives every
message that is neither the user's nor the assistant's the ``system`` role. The
history lives in Redis as message dicts, so ``get`` returns copies: change a
message with ``update()`` (or ``add`` it again), not in place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from switchboard.schema.steps import utc_now_iso
from switchboard.sdk.context import get_context

if TYPE_CHECKING:
    from switchboard.sdk.message import Message

__all__ = ("ChatContext", "chat_context")

_ROLES = {"assistant_message": "assistant", "user_message": "user"}


def _message(data: dict[str, Any]) -> Message:
    from switchboard.sdk.message import Message

    message = Message(
        content=data.get("output") or "",
        author=data.get("name") or None,
        language=data.get("language"),
        type=data.get("type") or "assistant_message",
        metadata=data.get("metadata") or {},
        tags=data.get("tags"),
        id=data.get("id"),
        command=data.get("command"),
        modes=data.get("modes"),
        created_at=data.get("createdAt"),
    )
    message.parent_id = data.get("parentId")
    return message


class ChatContext:
    def get(self) -> list[Message]:
        return [_message(m) for m in get_context().chat_messages]

    def add(self, message: Message) -> Message:
        """Put a message into the context (once: the same id replaces the stored one)."""
        from switchboard.sdk.utils import run_sync

        ctx = get_context()
        data = message.to_dict()
        # The shared store orders messages by time; one never sent is added now.
        data["createdAt"] = data.get("createdAt") or utc_now_iso()
        for index, existing in enumerate(ctx.chat_messages):
            if existing.get("id") == data["id"]:
                ctx.chat_messages[index] = data
                break
        else:
            ctx.chat_messages.append(data)
        run_sync(ctx.emitter.chat_context_add(ctx.session_id, data))
        return message

    def remove(self, message: Message) -> bool:
        """Take a message out of the context; False if it was not in it."""
        from switchboard.sdk.utils import run_sync

        ctx = get_context()
        kept = [m for m in ctx.chat_messages if m.get("id") != message.id]
        if len(kept) == len(ctx.chat_messages):
            return False
        ctx.chat_messages[:] = kept
        run_sync(ctx.emitter.chat_context_remove(ctx.session_id, message.id))
        return True

    def to_openai(self) -> list[dict[str, str]]:
        return [
            {"role": _ROLES.get(m.get("type") or "", "system"), "content": m.get("output") or ""}
            for m in get_context().chat_messages
        ]

    def clear(self) -> None:
        from switchboard.sdk.utils import run_sync

        ctx = get_context()
        ctx.chat_messages.clear()
        run_sync(ctx.emitter.chat_context_clear(ctx.session_id))


chat_context = ChatContext()
