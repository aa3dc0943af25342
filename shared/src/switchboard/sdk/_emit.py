"""Helpers that turn SDK object state into events on the current emitter."""

from __future__ import annotations

from typing import Any

from switchboard.schema.events import (
    DeleteMessage,
    NewMessage,
    StreamStart,
    StreamToken,
    StreamTokenPayload,
    UpdateMessage,
)
from switchboard.schema.persist import StepDelete, StepDeletePayload, StepUpsert
from switchboard.schema.steps import StepDict
from switchboard.sdk.context import SessionContext

_UI_EVENTS = {
    "new_message": NewMessage,
    "update_message": UpdateMessage,
    "delete_message": DeleteMessage,
    "stream_start": StreamStart,
}


async def emit_step(ctx: SessionContext, kind: str, data: dict[str, Any]) -> None:
    """Show and/or persist a step; ``persist_only`` stores without showing."""
    step = StepDict.model_validate(data)
    event_cls = _UI_EVENTS.get(kind)
    if event_cls is not None:
        await ctx.emitter.emit(
            event_cls(session_id=ctx.session_id, thread_id=ctx.thread_id, payload=step)
        )
    if kind in ("new_message", "update_message", "persist_only"):
        await ctx.emitter.persist(
            StepUpsert(session_id=ctx.session_id, thread_id=ctx.thread_id, payload=step)
        )
    elif kind == "delete_message" and step.id is not None:
        await ctx.emitter.persist(
            StepDelete(
                session_id=ctx.session_id,
                thread_id=ctx.thread_id,
                payload=StepDeletePayload(id=step.id),
            )
        )


async def emit_token(
    ctx: SessionContext, step_id: str, token: str, *, is_sequence: bool, is_input: bool
) -> None:
    await ctx.emitter.emit(
        StreamToken(
            session_id=ctx.session_id,
            thread_id=ctx.thread_id,
            payload=StreamTokenPayload(
                id=step_id, token=token, isSequence=is_sequence, isInput=is_input
            ),
        )
    )
