"""Chainlit's dict shapes as app code reads and builds them (``TypedDict`` s).

Callbacks receive plain dicts (``on_chat_resume`` gets a ``ThreadDict``); these
types name their keys. The services validate the same shapes with the pydantic
models of ``switchboard.schema``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, NotRequired, TypedDict

__all__ = (
    "AskActionResponse",
    "AskElementResponse",
    "CommandDict",
    "ElementDict",
    "FeedbackDict",
    "FileDict",
    "GenerationMessage",
    "StepDict",
    "ThreadDict",
    "UserDict",
)


class FeedbackDict(TypedDict):
    forId: str
    id: str | None
    value: Literal[0, 1]
    comment: str | None


class StepDict(TypedDict, total=False):
    name: str
    type: str
    id: str
    threadId: str
    parentId: str | None
    command: str | None
    modes: dict[str, str] | None
    streaming: bool
    waitForAnswer: bool | None
    isError: bool | None
    metadata: dict[str, Any]
    tags: list[str] | None
    input: str
    output: str
    createdAt: str | None
    start: str | None
    end: str | None
    generation: dict[str, Any] | None
    showInput: bool | str | None
    defaultOpen: bool | None
    autoCollapse: bool | None
    language: str | None
    icon: str | None
    feedback: FeedbackDict | None


class ElementDict(TypedDict):
    id: str
    threadId: str | None
    type: str
    chainlitKey: str | None
    path: NotRequired[str | None]
    url: str | None
    objectKey: str | None
    name: str
    display: Literal["inline", "side", "page"]
    size: Literal["small", "medium", "large"] | None
    language: str | None
    page: int | None
    props: dict[str, Any] | None
    autoPlay: bool | None
    playerConfig: dict[str, Any] | None
    forId: str | None
    mime: str | None


class ThreadDict(TypedDict):
    id: str
    createdAt: str
    name: str | None
    userId: str | None
    userIdentifier: str | None
    tags: list[str] | None
    metadata: dict[str, Any] | None
    steps: list[StepDict]
    elements: list[ElementDict] | None


class CommandDict(TypedDict):
    """A composer command, as ``context.emitter.set_commands`` takes it."""

    id: str
    description: str
    icon: str
    button: NotRequired[bool | None]
    persistent: NotRequired[bool | None]
    selected: NotRequired[bool | None]


class FileDict(TypedDict):
    """A file the user attached, as the app's side sees it."""

    id: str
    name: str
    path: Path
    size: int
    type: str


class UserDict(TypedDict):
    id: str
    identifier: str
    display_name: str | None
    metadata: dict[str, Any]


class AskActionResponse(TypedDict):
    name: str
    payload: dict[str, Any]
    label: str
    tooltip: str
    forId: str
    id: str


class AskElementResponse(TypedDict, total=False):
    submitted: bool


class GenerationMessage(TypedDict, total=False):
    """One prompt or completion message of a ``ChatGeneration``."""

    uuid: str | None
    templated: bool | None
    name: str | None
    role: Literal["user", "assistant", "tool", "function", "system"] | None
    content: str | list[dict[str, Any]] | None
    function_call: dict[str, Any] | None
    tool_calls: list[dict[str, Any]] | None
    tool_call_id: str | None
