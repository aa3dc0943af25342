"""Work for workers: session inputs queued in a session's inbox.

A session's inputs run one at a time and in order (no two ``on_message`` of
one session at once); the arq job only says "this session has input".
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter

from switchboard.schema.client import MAX_FILE_REFERENCES
from switchboard.schema.depth import JsonObject, JsonValue
from switchboard.schema.envelope import Envelope
from switchboard.schema.ids import UuidId
from switchboard.schema.mcp import McpConnectInput, McpDisconnectInput
from switchboard.schema.steps import ActionDict, StepDict

__all__ = (
    "ActionInput",
    "ActionPayload",
    "AudioChunkInput",
    "AudioChunkPayload",
    "AudioEndInput",
    "AudioStartInput",
    "ChatEndInput",
    "ChatStartInput",
    "EditMessageInput",
    "FeedbackInput",
    "FeedbackPayload",
    "MessageInput",
    "MessagePayload",
    "Reply",
    "ResumeInput",
    "SessionInput",
    "SettingsEditInput",
    "SettingsPayload",
    "SettingsUpdateInput",
    "WindowMessageInput",
    "session_input_adapter",
)


class ChatStartInput(Envelope):
    type: Literal["chat_start"] = "chat_start"


class MessagePayload(BaseModel):
    message: StepDict
    # Set when this message is the session's first interaction.
    first_interaction: str | None = None
    # Ids of files uploaded through POST /project/file for this message.
    file_references: list[UuidId] = Field(default_factory=list, max_length=MAX_FILE_REFERENCES)


class MessageInput(Envelope):
    type: Literal["message"] = "message"
    payload: MessagePayload


class ChatEndInput(Envelope):
    type: Literal["chat_end"] = "chat_end"


class ResumeInput(Envelope):
    """Resume ``SessionRecord.thread_id_to_resume`` with ``on_chat_resume``."""

    type: Literal["resume"] = "resume"


class EditMessageInput(Envelope):
    """``edit_message``: later messages are removed and on_message runs again."""

    type: Literal["edit_message"] = "edit_message"
    payload: MessagePayload


class ActionPayload(BaseModel):
    action: ActionDict
    # The gateway waits on this reply id for the callback's return value.
    reply_id: str
    first_interaction: str | None = None


class ActionInput(Envelope):
    type: Literal["action"] = "action"
    payload: ActionPayload


class SettingsPayload(BaseModel):
    # The session's settings with the client's values merged in.
    settings: JsonObject
    # The values the client sent: what Chainlit passes to on_settings_update/_edit.
    sent: JsonObject | None = None


class SettingsUpdateInput(Envelope):
    type: Literal["settings_update"] = "settings_update"
    payload: SettingsPayload


class SettingsEditInput(Envelope):
    type: Literal["settings_edit"] = "settings_edit"
    payload: SettingsPayload


class WindowMessageInput(Envelope):
    type: Literal["window_message"] = "window_message"
    payload: JsonValue = None


class AudioStartInput(Envelope):
    """``audio_start``: ``on_audio_start`` decides whether audio is on."""

    type: Literal["audio_start"] = "audio_start"


class AudioChunkPayload(BaseModel):
    """One ``audio_chunk`` from the microphone; ``data`` is base64 (PCM16)."""

    isStart: bool
    mimeType: str
    elapsedTime: float
    data: str


class AudioChunkInput(Envelope):
    type: Literal["audio_chunk"] = "audio_chunk"
    payload: AudioChunkPayload


class AudioEndInput(Envelope):
    type: Literal["audio_end"] = "audio_end"


class FeedbackPayload(BaseModel):
    """A saved rating, handed to the app's ``on_feedback`` in the session's context."""

    forId: str
    id: str
    value: int
    threadId: str | None = None
    comment: str | None = None


class FeedbackInput(Envelope):
    type: Literal["feedback"] = "feedback"
    payload: FeedbackPayload


class Reply(BaseModel):
    """A worker's answer to a request a gateway is waiting on."""

    ok: bool
    status: int = 200
    value: Any = None
    detail: str | None = None


SessionInput = Annotated[
    ChatStartInput
    | ResumeInput
    | MessageInput
    | ChatEndInput
    | EditMessageInput
    | ActionInput
    | SettingsUpdateInput
    | SettingsEditInput
    | WindowMessageInput
    | FeedbackInput
    | AudioStartInput
    | AudioChunkInput
    | AudioEndInput
    | McpConnectInput
    | McpDisconnectInput,
    Field(discriminator="type"),
]

session_input_adapter: TypeAdapter[SessionInput] = TypeAdapter(SessionInput)
