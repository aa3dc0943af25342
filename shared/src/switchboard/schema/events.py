"""Server-to-browser UI events (Chainlit's names and payloads, reference §1.4).

Producers (workers, gateway) build these models and append them to the
session's UI stream; gateways emit ``type``/``payload`` to the socket.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter, field_serializer

from switchboard.schema.envelope import Envelope
from switchboard.schema.steps import ActionDict, AskSpec, ElementDict, StepDict, ThreadDict

__all__ = (
    "ActionEvent",
    "Ask",
    "AskPayload",
    "AskTimeout",
    "AudioChunkEvent",
    "AudioConnection",
    "AudioInterrupt",
    "CallFn",
    "CallFnPayload",
    "CallFnTimeout",
    "ChatSettingsEvent",
    "ClearAsk",
    "ClearCallFn",
    "DeleteMessage",
    "ElementEvent",
    "Empty",
    "ErrorEvent",
    "ErrorPayload",
    "FirstInteraction",
    "FirstInteractionPayload",
    "NewMessage",
    "RemoveAction",
    "RemoveElement",
    "ResumeThread",
    "ResumeThreadError",
    "SetCommands",
    "SetModes",
    "SetSidebarElements",
    "SetSidebarTitle",
    "StreamStart",
    "StreamToken",
    "StreamTokenPayload",
    "TaskEnd",
    "TaskStart",
    "Toast",
    "TokenUsage",
    "UiEvent",
    "UpdateMessage",
    "WindowMessage",
    "ui_event_adapter",
)


class Empty(BaseModel):
    pass


class StreamTokenPayload(BaseModel):
    id: str
    token: str
    isSequence: bool = False
    isInput: bool = False


class FirstInteractionPayload(BaseModel):
    interaction: str
    thread_id: str


class ErrorPayload(BaseModel):
    """Switchboard's refusal of a client event (Chainlit has no such event)."""

    code: str
    message: str
    event: str | None = None


class ToastPayload(BaseModel):
    message: str
    type: Literal["info", "success", "warning", "error"] = "info"


class TaskStart(Envelope):
    type: Literal["task_start"] = "task_start"
    payload: Empty = Field(default_factory=Empty)


class TaskEnd(Envelope):
    type: Literal["task_end"] = "task_end"
    payload: Empty = Field(default_factory=Empty)


class ClearAsk(Envelope):
    type: Literal["clear_ask"] = "clear_ask"
    payload: Empty = Field(default_factory=Empty)


class ClearCallFn(Envelope):
    type: Literal["clear_call_fn"] = "clear_call_fn"
    payload: Empty = Field(default_factory=Empty)


class NewMessage(Envelope):
    type: Literal["new_message"] = "new_message"
    payload: StepDict


class UpdateMessage(Envelope):
    type: Literal["update_message"] = "update_message"
    payload: StepDict


class DeleteMessage(Envelope):
    type: Literal["delete_message"] = "delete_message"
    payload: StepDict


class StreamStart(Envelope):
    type: Literal["stream_start"] = "stream_start"
    payload: StepDict


class StreamToken(Envelope):
    type: Literal["stream_token"] = "stream_token"
    payload: StreamTokenPayload


class FirstInteraction(Envelope):
    type: Literal["first_interaction"] = "first_interaction"
    payload: FirstInteractionPayload


class ElementEvent(Envelope):
    type: Literal["element"] = "element"
    payload: ElementDict

    @field_serializer("payload")
    def _chainlit_keys(self, payload: ElementDict) -> dict[str, Any]:
        # Chainlit's element event has no ``path``: that names a file on the
        # producer's disk, which no browser can read.
        data = payload.model_dump(mode="json")
        data.pop("path", None)
        return data


class ActionEvent(Envelope):
    type: Literal["action"] = "action"
    payload: ActionDict


class Toast(Envelope):
    type: Literal["toast"] = "toast"
    payload: ToastPayload


class AskPayload(BaseModel):
    msg: StepDict
    spec: AskSpec


class Ask(Envelope):
    """Sent with a Socket.IO ack; the gateway turns the ack into the answer."""

    type: Literal["ask"] = "ask"
    payload: AskPayload


class CallFnPayload(BaseModel):
    name: str
    args: dict[str, Any] = Field(default_factory=dict)


class CallFn(Envelope):
    """A copilot function call, sent with a Socket.IO ack; the envelope id names it."""

    type: Literal["call_fn"] = "call_fn"
    payload: CallFnPayload


class CallFnTimeout(Envelope):
    type: Literal["call_fn_timeout"] = "call_fn_timeout"
    payload: Empty = Field(default_factory=Empty)


class AskTimeout(Envelope):
    type: Literal["ask_timeout"] = "ask_timeout"
    payload: Empty = Field(default_factory=Empty)


class RemoveAction(Envelope):
    type: Literal["remove_action"] = "remove_action"
    payload: ActionDict


class RemoveElement(Envelope):
    type: Literal["remove_element"] = "remove_element"
    payload: dict[str, str]


class ChatSettingsEvent(Envelope):
    type: Literal["chat_settings"] = "chat_settings"
    payload: list[dict[str, Any]]


class SetCommands(Envelope):
    type: Literal["set_commands"] = "set_commands"
    payload: list[dict[str, Any]]


class SetModes(Envelope):
    type: Literal["set_modes"] = "set_modes"
    payload: list[dict[str, Any]]


class TokenUsage(Envelope):
    type: Literal["token_usage"] = "token_usage"
    payload: int


class WindowMessage(Envelope):
    type: Literal["window_message"] = "window_message"
    payload: Any = None


class SetSidebarTitle(Envelope):
    type: Literal["set_sidebar_title"] = "set_sidebar_title"
    payload: str


class SetSidebarElements(Envelope):
    type: Literal["set_sidebar_elements"] = "set_sidebar_elements"
    payload: dict[str, Any]


class ResumeThread(Envelope):
    type: Literal["resume_thread"] = "resume_thread"
    payload: ThreadDict


class ResumeThreadError(Envelope):
    type: Literal["resume_thread_error"] = "resume_thread_error"
    payload: str


class AudioConnection(Envelope):
    type: Literal["audio_connection"] = "audio_connection"
    payload: Literal["on", "off"]


class AudioChunkEvent(Envelope):
    """``OutputAudioChunk`` for the UI's player; ``data`` is PCM16 bytes."""

    type: Literal["audio_chunk"] = "audio_chunk"
    payload: dict[str, Any]


class AudioInterrupt(Envelope):
    type: Literal["audio_interrupt"] = "audio_interrupt"
    payload: Empty = Field(default_factory=Empty)


class ErrorEvent(Envelope):
    type: Literal["error"] = "error"
    payload: ErrorPayload


UiEvent = Annotated[
    TaskStart
    | TaskEnd
    | ClearAsk
    | ClearCallFn
    | NewMessage
    | UpdateMessage
    | DeleteMessage
    | StreamStart
    | StreamToken
    | FirstInteraction
    | ElementEvent
    | ActionEvent
    | Toast
    | Ask
    | AskTimeout
    | CallFn
    | CallFnTimeout
    | RemoveAction
    | RemoveElement
    | ChatSettingsEvent
    | SetCommands
    | SetModes
    | TokenUsage
    | WindowMessage
    | SetSidebarTitle
    | SetSidebarElements
    | ResumeThread
    | ResumeThreadError
    | AudioConnection
    | AudioChunkEvent
    | AudioInterrupt
    | ErrorEvent,
    Field(discriminator="type"),
]

ui_event_adapter: TypeAdapter[UiEvent] = TypeAdapter(UiEvent)
