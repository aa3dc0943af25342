"""Calls to the app's auth callbacks, which run in workers where app code lives."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter

from switchboard.schema.envelope import new_event_id
from switchboard.schema.session import UserRef

__all__ = (
    "AuthCall",
    "AuthReply",
    "HeaderAuthCall",
    "OAuthCall",
    "PasswordAuthCall",
    "auth_call_adapter",
)


class _Call(BaseModel):
    id: str = Field(default_factory=new_event_id)


class PasswordAuthCall(_Call):
    kind: Literal["password"] = "password"
    username: str
    password: str = Field(repr=False)


class HeaderAuthCall(_Call):
    kind: Literal["header"] = "header"
    headers: dict[str, str] = Field(repr=False)


class OAuthCall(_Call):
    kind: Literal["oauth"] = "oauth"
    provider_id: str
    token: str = Field(repr=False)
    raw_user_data: dict[str, Any]
    default_user: UserRef
    id_token: str | None = Field(default=None, repr=False)


AuthCall = Annotated[PasswordAuthCall | HeaderAuthCall | OAuthCall, Field(discriminator="kind")]
auth_call_adapter: TypeAdapter[AuthCall] = TypeAdapter(AuthCall)


class AuthReply(BaseModel):
    """The callback's verdict: a user, or None for "not allowed"."""

    user: UserRef | None = None
    error: str | None = None
