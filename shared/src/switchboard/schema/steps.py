"""Chainlit's step, thread and element dict shapes as pydantic models.

Field names are Chainlit's camelCase wire names; every field is optional because
Chainlit's dicts are ``total=False`` and clients send partial ones.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from switchboard.schema.depth import JsonObject

__all__ = (
    "MESSAGE_STEP_TYPES",
    "STEP_TYPES",
    "ActionDict",
    "AskSpec",
    "ElementDict",
    "FeedbackDict",
    "StepDict",
    "StepType",
    "ThreadDict",
    "utc_now_iso",
)

StepType = Literal[
    "run",
    "tool",
    "llm",
    "embedding",
    "retrieval",
    "rerank",
    "undefined",
    "user_message",
    "assistant_message",
    "system_message",
]
STEP_TYPES: frozenset[str] = frozenset(StepType.__args__)  # type: ignore[attr-defined]
MESSAGE_STEP_TYPES: frozenset[str] = frozenset(
    {"user_message", "assistant_message", "system_message"}
)


def utc_now_iso() -> str:
    """Chainlit's timestamp format: ISO-8601 UTC with a trailing ``Z``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class FeedbackDict(BaseModel):
    model_config = ConfigDict(extra="ignore")

    forId: str
    id: str | None = None
    value: Literal[0, 1]
    comment: str | None = None


class StepDict(BaseModel):
    """A step or message as it travels on the wire and into storage."""

    model_config = ConfigDict(extra="ignore")

    id: str | None = None
    name: str | None = None
    type: StepType | None = None
    threadId: str | None = None
    parentId: str | None = None
    command: str | None = None
    modes: dict[str, str] | None = None
    streaming: bool | None = None
    waitForAnswer: bool | None = None
    isError: bool | None = None
    metadata: JsonObject | None = None
    tags: list[str] | None = None
    input: str | None = None
    output: str | None = None
    createdAt: str | None = None
    start: str | None = None
    end: str | None = None
    generation: JsonObject | None = None
    showInput: bool | str | None = None
    defaultOpen: bool | None = None
    autoCollapse: bool | None = None
    language: str | None = None
    icon: str | None = None
    feedback: FeedbackDict | None = None

    @model_serializer(mode="wrap")
    def _only_set(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Chainlit's Step and Message dicts differ in their keys; a step keeps
        # exactly the keys its producer gave it, in every hop and in storage.
        data: dict[str, Any] = handler(self)
        return {k: v for k, v in data.items() if k in self.model_fields_set}

    def wire(self) -> dict[str, Any]:
        """The dict sent to clients: only the fields the producer set."""
        return self.model_dump(mode="json")


class ElementDict(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    threadId: str | None = None
    type: str
    chainlitKey: str | None = None
    path: str | None = None
    url: str | None = None
    objectKey: str | None = None
    name: str
    display: Literal["inline", "side", "page"] = "inline"
    size: str | None = None
    language: str | None = None
    page: int | None = None
    props: JsonObject | None = None
    autoPlay: bool | None = None
    playerConfig: JsonObject | None = None
    forId: str | None = None
    mime: str | None = None


class ActionDict(BaseModel):
    """Chainlit's action dict (``Action.to_dict``)."""

    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1, max_length=256)
    payload: JsonObject = Field(default_factory=dict)
    label: str = ""
    tooltip: str = ""
    icon: str | None = None
    forId: str | None = None
    id: str


class AskSpec(BaseModel):
    """What an ``ask`` expects back (reference §1.5)."""

    model_config = ConfigDict(extra="ignore")

    timeout: int
    type: Literal["text", "file", "action", "element"]
    step_id: str
    accept: list[str] | dict[str, list[str]] | None = None
    max_files: int | None = None
    max_size_mb: int | None = None
    keys: list[str] | None = None
    element_id: str | None = None

    @model_serializer(mode="wrap")
    def _only_set(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Chainlit's spec for each ask type carries only that type's keys.
        data: dict[str, Any] = handler(self)
        return {k: v for k, v in data.items() if k in self.model_fields_set}


class ThreadDict(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    createdAt: str
    name: str | None = None
    userId: str | None = None
    userIdentifier: str | None = None
    tags: list[str] | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    steps: list[StepDict] = Field(default_factory=list)
    elements: list[ElementDict] = Field(default_factory=list)
