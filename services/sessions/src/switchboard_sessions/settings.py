"""Sessions service settings (env prefix ``SWITCHBOARD_``)."""

from __future__ import annotations

from pydantic import AliasChoices, Field

from switchboard.config import Settings

__all__ = ("SessionsSettings",)


class SessionsSettings(Settings):
    host: str = Field(
        default="127.0.0.1", validation_alias=AliasChoices("SWITCHBOARD_SESSIONS_HOST")
    )
    port: int = Field(default=8001, validation_alias=AliasChoices("SWITCHBOARD_SESSIONS_PORT"))
    # How often the reaper looks for sessions whose disconnect grace ended.
    reap_interval: float = Field(default=0.5, gt=0)
