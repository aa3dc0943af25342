"""Auth service settings (env prefix ``SWITCHBOARD_``)."""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr

from switchboard.config import Settings

__all__ = ("AuthSettings",)


class AuthSettings(Settings):
    host: str = Field(default="127.0.0.1", validation_alias=AliasChoices("SWITCHBOARD_AUTH_HOST"))
    port: int = Field(default=8002, validation_alias=AliasChoices("SWITCHBOARD_AUTH_PORT"))
    # Chainlit's names, so existing deployments keep their environment.
    auth_secret: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("CHAINLIT_AUTH_SECRET", "SWITCHBOARD_AUTH_SECRET"),
    )
    custom_auth: bool = Field(
        default=False,
        validation_alias=AliasChoices("CHAINLIT_CUSTOM_AUTH", "SWITCHBOARD_CUSTOM_AUTH"),
    )
