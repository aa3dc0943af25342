"""Work for workers: session inputs queued in a session's inbox.

A session's inputs run one at a time and in order (no two ``on_message`` of
one session at once); the arq job only says "this session has input".
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, TypeAdapter

from switchboard.schema.envelope import Envelope
from switchboard.schema.steps import StepDict

__all__ = (
    "ChatEndInput",
    "ChatStartInput",
    "MessageInput",
    "MessagePayload",
    "SessionInput",
    "session_input_adapter",
)


class ChatStartInput(Envelope):
    type: Literal["chat_start"] = "chat_start"


class MessagePayload(BaseModel):
    message: StepDict
    # Set when this message is the session's first interaction.
    first_interaction: str | None = None


class MessageInput(Envelope):
    type: Literal["message"] = "message"
    payload: MessagePayload


class ChatEndInput(Envelope):
    type: Literal["chat_end"] = "chat_end"


SessionInput = Annotated[
    ChatStartInput | MessageInput | ChatEndInput,
    Field(discriminator="type"),
]

session_input_adapter: TypeAdapter[SessionInput] = TypeAdapter(SessionInput)
