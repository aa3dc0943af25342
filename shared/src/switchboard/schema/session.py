"""The session record the sessions service keeps in Redis."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from switchboard.schema.client import ClientType

__all__ = ("ConnectRequest", "ConnectResult", "DisconnectRequest", "SessionRecord", "UserRef")


class UserRef(BaseModel):
    """A user as other services see it: by id and identifier."""

    identifier: str
    id: str | None = None
    display_name: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class SessionRecord(BaseModel):
    id: str
    thread_id: str
    user: UserRef | None = None
    client_type: ClientType = "webapp"
    chat_profile: str | None = None
    user_env: dict[str, str] = Field(default_factory=dict)
    language: str = "en-US"
    thread_id_to_resume: str | None = None
    created_at: float

    @property
    def owner(self) -> str | None:
        return self.user.identifier if self.user else None


class ConnectRequest(BaseModel):
    session_id: str
    user: UserRef | None = None
    client_type: ClientType = "webapp"
    thread_id: str | None = None
    chat_profile: str | None = None
    user_env: dict[str, str] = Field(default_factory=dict)
    language: str = "en-US"


class ConnectResult(BaseModel):
    session: SessionRecord
    restored: bool


class DisconnectRequest(BaseModel):
    clear: bool = False
