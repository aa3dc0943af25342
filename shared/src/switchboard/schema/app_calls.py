"""Calls to app callbacks that are not part of a session's work.

Auth callbacks (password, header, OAuth) and per-request hooks (chat
profiles, starters, shared-thread view) run in workers, where app code lives;
services queue a call and wait for its reply.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter

from switchboard.schema.envelope import new_event_id
from switchboard.schema.session import UserRef

__all__ = (
    "AppCall",
    "AppCallReply",
    "ChatProfilesCall",
    "CookieChange",
    "HeaderAuthCall",
    "LogoutCall",
    "LogoutOutcome",
    "OAuthCall",
    "PasswordAuthCall",
    "SharedThreadViewCall",
    "StarterCategoriesCall",
    "StartersCall",
    "app_call_adapter",
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


class ChatProfilesCall(_Call):
    kind: Literal["chat_profiles"] = "chat_profiles"
    user: UserRef | None = None
    language: str | None = None


class StartersCall(_Call):
    kind: Literal["starters"] = "starters"
    user: UserRef | None = None
    language: str | None = None


class StarterCategoriesCall(_Call):
    kind: Literal["starter_categories"] = "starter_categories"
    user: UserRef | None = None
    language: str | None = None
    chat_profile: str | None = None


class SharedThreadViewCall(_Call):
    kind: Literal["shared_thread_view"] = "shared_thread_view"
    thread: dict[str, Any]
    viewer: UserRef | None = None


class LogoutCall(_Call):
    """``on_logout(request, response)``: the request's headers and cookies, minus credentials."""

    kind: Literal["logout"] = "logout"
    user: UserRef | None = None
    headers: dict[str, str] = Field(default_factory=dict, repr=False)
    cookies: dict[str, str] = Field(default_factory=dict, repr=False)


class CookieChange(BaseModel):
    """A cookie ``on_logout`` set or deleted on its response, replayed by the auth service."""

    name: str
    value: str | None = None  # None deletes the cookie
    path: str = "/"
    max_age: int | None = None
    httponly: bool = False
    secure: bool = False
    samesite: Literal["lax", "strict", "none"] | None = "lax"


class LogoutOutcome(BaseModel):
    """What ``on_logout`` returned (the HTTP answer, if not None) and its cookie changes."""

    result: Any = None
    cookies: list[CookieChange] = Field(default_factory=list)


AppCall = Annotated[
    PasswordAuthCall
    | HeaderAuthCall
    | OAuthCall
    | ChatProfilesCall
    | StartersCall
    | StarterCategoriesCall
    | SharedThreadViewCall
    | LogoutCall,
    Field(discriminator="kind"),
]
app_call_adapter: TypeAdapter[AppCall] = TypeAdapter(AppCall)


class AppCallReply(BaseModel):
    """The callback's answer: a user for auth calls, JSON ``value`` for the others."""

    user: UserRef | None = None
    value: Any = None
    error: str | None = None
