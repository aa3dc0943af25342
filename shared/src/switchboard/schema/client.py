"""What browsers send: the connect ``auth`` payload and client events.

These models are the edge: anything that fails them is refused with an error
event and never reaches Redis.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, Literal
from urllib.parse import unquote

from pydantic import BaseModel, ConfigDict, Field, field_validator

from switchboard.schema.ids import UuidId, is_app_id, is_uuid_id
from switchboard.schema.steps import StepDict

__all__ = (
    "MAX_FILE_REFERENCES",
    "ClientMessage",
    "ClientType",
    "ConnectAuth",
    "FileReference",
    "is_uuid4",
)

# Files one message may carry; the worker's input takes no more.
MAX_FILE_REFERENCES = 100

ClientType = Literal["webapp", "copilot", "teams", "slack", "discord"]


def is_uuid4(value: str) -> bool:
    """A uuid4 in canonical text form (``uuid.UUID`` alone also takes braces and urns)."""
    if not is_uuid_id(value):
        return False
    return uuid.UUID(value).version == 4


class ConnectAuth(BaseModel):
    """Chainlit's Socket.IO CONNECT ``auth`` payload (reference §1.2)."""

    model_config = ConfigDict(extra="ignore")

    sessionId: str = Field(min_length=1, max_length=64)
    clientType: ClientType = "webapp"
    threadId: str | None = None
    userEnv: dict[str, str] = Field(default_factory=dict)
    chatProfile: str | None = None
    # Switchboard's own clients send the last UI event id they saw, to resume.
    lastEventId: str | None = Field(default=None, max_length=64)
    # Switchboard's own clients rejoining a session after a reload: refuse the
    # connection ("session not found") rather than start a new session under its id.
    restoreOnly: bool = False

    @field_validator("sessionId")
    @classmethod
    def _session_id_is_uuid(cls, value: str) -> str:
        if not is_uuid4(value):
            raise ValueError("sessionId must be a uuid4")
        return value

    @field_validator("threadId", mode="before")
    @classmethod
    def _empty_thread_is_none(cls, value: Any) -> Any:
        if value in ("", None):
            return None
        if not isinstance(value, str) or not is_uuid4(value):
            raise ValueError("threadId must be a uuid4 or empty")
        return value

    @field_validator("userEnv", mode="before")
    @classmethod
    def _decode_user_env(cls, value: Any) -> Any:
        if value in (None, ""):
            return {}
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                raise ValueError("userEnv must be a JSON-encoded object") from exc
        if not isinstance(value, dict):
            raise ValueError("userEnv must be a JSON-encoded object")
        return {str(k): str(v) for k, v in value.items()}

    @field_validator("chatProfile", mode="before")
    @classmethod
    def _decode_profile(cls, value: Any) -> Any:
        if value in ("", None):
            return None
        if not isinstance(value, str):
            raise ValueError("chatProfile must be a string")
        return unquote(value)


class FileReference(BaseModel):
    id: UuidId


class ClientMessage(BaseModel):
    """Payload of ``client_message``: the user's step and attached files.

    Refused here, before the user step is stored: more files than the worker's
    input takes, and (through ``StepDict``) metadata nested too deep.
    """

    model_config = ConfigDict(extra="ignore")

    message: StepDict
    fileReferences: list[FileReference] | None = Field(default=None, max_length=MAX_FILE_REFERENCES)

    @field_validator("message")
    @classmethod
    def _message_has_uuid(cls, value: StepDict) -> StepDict:
        if value.id is None or not is_uuid4(value.id):
            raise ValueError("message.id must be a uuid4")
        if value.parentId is not None and not is_app_id(value.parentId):
            raise ValueError("message.parentId must be a step id")
        if value.output is None:
            value.output = ""
        return value
