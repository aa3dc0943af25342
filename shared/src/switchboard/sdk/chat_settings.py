"""``ChatSettings``: the settings panel; values live in the session for every worker."""

from __future__ import annotations

from typing import Any

from switchboard.schema.events import ChatSettingsEvent
from switchboard.sdk.context import get_context
from switchboard.sdk.input_widget import InputWidget, Tab

__all__ = ("ChatSettings",)


class ChatSettings:
    def __init__(self, inputs: list[InputWidget] | list[Tab]) -> None:
        self.inputs = inputs

    def _widgets(self) -> list[InputWidget]:
        widgets: list[InputWidget] = []
        for item in self.inputs:
            if isinstance(item, Tab):
                widgets.extend(item.inputs)
            else:
                widgets.append(item)
        return widgets

    def settings(self) -> dict[str, Any]:
        return {w.id: w.initial for w in self._widgets()}

    async def send(self) -> dict[str, Any]:
        ctx = get_context()
        values = self.settings()
        ctx.chat_settings = values
        spec = [w.to_dict() for w in self._widgets()]
        await ctx.emitter.save_chat_settings(ctx.session_id, values, spec)
        await self.refresh()
        return values

    async def refresh(self) -> dict[str, Any]:
        """Show the widgets again without changing the session's values."""
        ctx = get_context()
        await ctx.emitter.emit(
            ChatSettingsEvent(
                session_id=ctx.session_id,
                thread_id=ctx.thread_id,
                payload=[i.to_dict() for i in self.inputs],
            )
        )
        return self.settings()
