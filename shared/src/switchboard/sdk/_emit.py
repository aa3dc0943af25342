"""Helpers that turn SDK object state into events on the current emitter."""

from __future__ import annotations

from typing import Any

from switchboard.failpoints import failpoint
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

# Chainlit's CL_RUN_NAMES: run steps of these callbacks are shown even when cot is hidden.
RUN_NAMES = frozenset({"on_chat_start", "on_message", "on_audio_end"})
MESSAGE_TYPES = frozenset({"user_message", "assistant_message"})
STUB_KEYS = ("type", "name", "id", "parentId", "threadId")


def hidden_in_cot(ctx: SessionContext, data: dict[str, Any]) -> bool:
    """Chainlit's ``check_add_step_in_cot``: with ``ui.cot = "hidden"`` the browser
    gets only a stub of each step that is neither a message nor a callback run."""
    if ctx.session_config.ui.cot != "hidden":
        return False
    kind = data.get("type")
    if kind in MESSAGE_TYPES:
        return False
    return not (kind == "run" and data.get("name") in RUN_NAMES)


def stub_step(data: dict[str, Any]) -> dict[str, Any]:
    """What a hidden step shows: no input, no output (Chainlit's ``stub_step``)."""
    return {**{key: data.get(key) for key in STUB_KEYS}, "input": "", "output": ""}


async def emit_step(ctx: SessionContext, kind: str, data: dict[str, Any]) -> None:
    """Show and/or persist a step; ``persist_only`` stores without showing.

    Stored before it is shown: a worker killed between the two writes leaves a step
    stored and not shown (a reload shows it), never one the user saw and lost.
    """
    step = StepDict.model_validate(data)
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
    event_cls = _UI_EVENTS.get(kind)
    if event_cls is not None:
        failpoint("step.stored")
        shown = step
        if kind != "delete_message" and hidden_in_cot(ctx, data):
            # A hidden step is never streamed: its stub is sent as a new message.
            event_cls = UpdateMessage if kind == "update_message" else NewMessage
            shown = StepDict.model_validate(stub_step(data))
        await ctx.emitter.emit(
            event_cls(session_id=ctx.session_id, thread_id=ctx.thread_id, payload=shown)
        )


async def emit_stub(ctx: SessionContext, data: dict[str, Any]) -> None:
    """Show only a hidden step's stub (no persistence): Chainlit's hidden streaming."""
    await ctx.emitter.emit(
        NewMessage(
            session_id=ctx.session_id,
            thread_id=ctx.thread_id,
            payload=StepDict.model_validate(stub_step(data)),
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
