"""``Message`` and ``ErrorMessage`` with Chainlit's dict shape and event order."""

from __future__ import annotations

import json
import uuid
from typing import Any

from switchboard.schema.steps import utc_now_iso
from switchboard.sdk._emit import emit_step, emit_token
from switchboard.sdk.callbacks import call_user_function
from switchboard.sdk.context import SessionContext, get_context

__all__ = ("ErrorMessage", "Message")


class Message:
    def __init__(
        self,
        content: str | dict[str, Any] | Any = "",
        author: str | None = None,
        language: str | None = None,
        actions: list[Any] | None = None,
        elements: list[Any] | None = None,
        type: str = "assistant_message",
        metadata: dict[str, Any] | None = None,
        tags: list[str] | None = None,
        id: str | None = None,
        parent_id: str | None = None,
        command: str | None = None,
        modes: dict[str, str] | None = None,
        created_at: str | None = None,
    ) -> None:
        ctx = get_context()
        if isinstance(content, dict):
            content = json.dumps(content, indent=4, ensure_ascii=False)
            language = "json"
        elif not isinstance(content, str):
            content = str(content)
            language = language or "text"
        self.content: str = content
        self.author = author or ctx.config.ui.name
        self.language = language
        self.actions = actions or []
        self.elements = elements or []
        self.type = type
        self.metadata = dict(metadata or {})
        self.tags = tags
        self.id = id or str(uuid.uuid4())
        current = ctx.current_step
        self.parent_id = parent_id if parent_id is not None else (current.id if current else None)
        self.command = command
        self.modes = modes
        self.created_at = created_at
        self.thread_id = ctx.thread_id
        self.streaming = False
        self.is_error = False
        self.wait_for_answer = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "threadId": self.thread_id,
            "parentId": self.parent_id,
            "createdAt": self.created_at,
            "command": self.command,
            "modes": self.modes,
            "start": self.created_at,
            "end": self.created_at,
            "output": self.content,
            "name": self.author,
            "type": self.type,
            "language": self.language,
            "streaming": self.streaming,
            "isError": self.is_error,
            "waitForAnswer": self.wait_for_answer,
            "metadata": self.metadata,
            "tags": self.tags,
        }

    async def send(self) -> Message:
        ctx = get_context()
        if self.created_at is None:
            self.created_at = utc_now_iso()
        self.streaming = False
        if ctx.author_rename is not None:
            self.author = str(await call_user_function(ctx.author_rename, self.author))
        data = self.to_dict()
        await emit_step(ctx, "new_message", data)
        await _remember(ctx, data)
        for action in self.actions:
            await action.send(for_id=self.id)
        for element in self.elements:
            await element.send(for_id=self.id)
        return self

    async def update(self) -> bool:
        ctx = get_context()
        self.streaming = False
        data = self.to_dict()
        await emit_step(ctx, "update_message", data)
        await _remember(ctx, data)
        for action in self.actions:
            if action.forId is None:
                await action.send(for_id=self.id)
        for element in self.elements:
            await element.send(for_id=self.id)
        return True

    async def remove(self) -> bool:
        ctx = get_context()
        await emit_step(ctx, "delete_message", self.to_dict())
        ctx.chat_messages[:] = [m for m in ctx.chat_messages if m.get("id") != self.id]
        await ctx.emitter.chat_context_remove(ctx.session_id, self.id)
        return True

    async def remove_actions(self) -> None:
        for action in self.actions:
            await action.remove()

    async def stream_token(self, token: str, is_sequence: bool = False) -> None:
        if not token:
            return
        if is_sequence:
            self.content = token
        else:
            self.content += token
        if not self.streaming:
            self.streaming = True
            # As in Chainlit, a message gets its time when sent: stream_start carries none.
            await emit_step(get_context(), "stream_start", self.to_dict())
            return
        await emit_token(get_context(), self.id, token, is_sequence=is_sequence, is_input=False)


async def _remember(ctx: SessionContext, data: dict[str, Any]) -> None:
    """Keep the session's chat context (shared by workers) in step with the UI."""
    for index, existing in enumerate(ctx.chat_messages):
        if existing.get("id") == data["id"]:
            ctx.chat_messages[index] = data
            break
    else:
        ctx.chat_messages.append(data)
    await ctx.emitter.chat_context_add(ctx.session_id, data)


class ErrorMessage(Message):
    def __init__(
        self, content: str, author: str | None = None, fail_on_persist_error: bool = False
    ) -> None:
        super().__init__(content=content, author=author)
        self.is_error = True
