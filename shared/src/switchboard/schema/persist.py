"""Persistence events: what the persistence service applies to the database.

Each is idempotent by its natural key (step id, thread id), so a redelivered
entry changes nothing.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, TypeAdapter

from switchboard.schema.depth import JsonObject
from switchboard.schema.envelope import Envelope
from switchboard.schema.steps import ElementDict, StepDict

__all__ = (
    "ElementDelete",
    "ElementDeletePayload",
    "ElementUpsert",
    "PersistEvent",
    "StepDelete",
    "StepDeletePayload",
    "StepUpsert",
    "ThreadUpsert",
    "ThreadUpsertPayload",
    "persist_event_adapter",
)


class ThreadUpsertPayload(BaseModel):
    name: str | None = None
    user_id: str | None = None
    user_identifier: str | None = None
    tags: list[str] | None = None
    # Merged into the stored metadata; keys whose value is None are removed.
    metadata: JsonObject | None = None


class ThreadUpsert(Envelope):
    type: Literal["thread_upsert"] = "thread_upsert"
    payload: ThreadUpsertPayload


class StepUpsert(Envelope):
    type: Literal["step_upsert"] = "step_upsert"
    payload: StepDict


class StepDeletePayload(BaseModel):
    id: str


class StepDelete(Envelope):
    type: Literal["step_delete"] = "step_delete"
    payload: StepDeletePayload


class ElementUpsert(Envelope):
    """An element's metadata; its content is already in object storage (``chainlitKey``)."""

    type: Literal["element_upsert"] = "element_upsert"
    payload: ElementDict


class ElementDeletePayload(BaseModel):
    id: str


class ElementDelete(Envelope):
    """Removes the element row and its stored object."""

    type: Literal["element_delete"] = "element_delete"
    payload: ElementDeletePayload


PersistEvent = Annotated[
    ThreadUpsert | StepUpsert | StepDelete | ElementUpsert | ElementDelete,
    Field(discriminator="type"),
]

persist_event_adapter: TypeAdapter[PersistEvent] = TypeAdapter(PersistEvent)
