"""``Action``: buttons under a message whose clicks run ``@action_callback`` code."""

from __future__ import annotations

import uuid
from typing import Any

from switchboard.schema.events import ActionEvent, RemoveAction
from switchboard.schema.steps import ActionDict
from switchboard.sdk.context import get_context

__all__ = ("Action",)


class Action:
    def __init__(
        self,
        name: str,
        payload: dict[str, Any] | None = None,
        label: str = "",
        tooltip: str = "",
        icon: str | None = None,
        forId: str | None = None,
        id: str | None = None,
    ) -> None:
        self.name = name
        self.payload = dict(payload or {})
        self.label = label
        self.tooltip = tooltip
        self.icon = icon
        self.forId = forId
        self.id = id or str(uuid.uuid4())

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "payload": self.payload,
            "label": self.label,
            "tooltip": self.tooltip,
            "icon": self.icon,
            "forId": self.forId,
            "id": self.id,
        }

    @classmethod
    def from_dict(cls, data: ActionDict) -> Action:
        return cls(
            name=data.name,
            payload=data.payload,
            label=data.label,
            tooltip=data.tooltip,
            icon=data.icon,
            forId=data.forId,
            id=data.id,
        )

    async def send(self, for_id: str) -> None:
        self.forId = for_id
        ctx = get_context()
        await ctx.emitter.emit(
            ActionEvent(
                session_id=ctx.session_id,
                thread_id=ctx.thread_id,
                payload=ActionDict.model_validate(self.to_dict()),
            )
        )

    async def remove(self) -> None:
        ctx = get_context()
        await ctx.emitter.emit(
            RemoveAction(
                session_id=ctx.session_id,
                thread_id=ctx.thread_id,
                payload=ActionDict.model_validate(self.to_dict()),
            )
        )
