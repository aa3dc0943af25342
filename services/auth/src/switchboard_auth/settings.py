"""Auth service settings: Switchboard's prefix, plus Chainlit's own variable names."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator

from switchboard.config import Settings

__all__ = ("AuthSettings", "normalise_database_url")


def normalise_database_url(url: str) -> str:
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+asyncpg://" + url[len(plain) :]
    if url.startswith("sqlite:///"):
        url = "sqlite+aiosqlite:///" + url[len("sqlite:///") :]
    if url.startswith("sqlite+aiosqlite:///"):
        Path(url[len("sqlite+aiosqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
    return url


class AuthSettings(Settings):
    host: str = Field(default="127.0.0.1", validation_alias=AliasChoices("SWITCHBOARD_AUTH_HOST"))
    port: int = Field(default=8002, validation_alias=AliasChoices("SWITCHBOARD_AUTH_PORT"))
    database_url: str = Field(
        default="sqlite+aiosqlite:///.switchboard/auth.db",
        validation_alias=AliasChoices("SWITCHBOARD_AUTH_DATABASE_URL"),
    )
    auth_secret: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("CHAINLIT_AUTH_SECRET", "SWITCHBOARD_AUTH_SECRET"),
    )
    custom_auth: bool = Field(
        default=False,
        validation_alias=AliasChoices("CHAINLIT_CUSTOM_AUTH", "SWITCHBOARD_CUSTOM_AUTH"),
    )
    cookie_name: str = Field(
        default="access_token", validation_alias=AliasChoices("CHAINLIT_AUTH_COOKIE_NAME")
    )
    cookie_samesite: Literal["lax", "strict", "none"] = Field(
        default="lax", validation_alias=AliasChoices("CHAINLIT_COOKIE_SAMESITE")
    )
    state_cookie_lifetime: int = Field(
        default=180, validation_alias=AliasChoices("CHAINLIT_STATE_COOKIE_LIFETIME")
    )
    public_url: str | None = Field(
        default=None, validation_alias=AliasChoices("CHAINLIT_URL", "SWITCHBOARD_PUBLIC_URL")
    )
    # Wrong passwords allowed per account and per client address each window.
    max_failures: int = Field(default=10, ge=1)
    failure_window: int = Field(default=60, ge=1)
    callback_timeout: float = Field(default=15.0, gt=0)

    @field_validator("database_url")
    @classmethod
    def _normalise(cls, value: str) -> str:
        return normalise_database_url(value)

    @field_validator("cookie_samesite", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    def jwt_secret(self) -> str | None:
        return self.auth_secret.get_secret_value() if self.auth_secret else None
