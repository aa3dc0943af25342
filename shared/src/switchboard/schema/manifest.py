"""The app manifest: what a worker tells the services that never load the app.

Workers publish it to Redis (``RedisNames.app_manifest``); the gateway and the
auth service read it to know which callbacks and actions the app defines.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ("AppManifest",)


class AppManifest(BaseModel):
    """Which hooks the app registered, its action names and its UI name.

    Unknown keys are ignored, so a newer worker's manifest still reads here
    during a rolling upgrade. An empty manifest means "nothing registered".
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    # Hook name -> registered. A mapping rather than fields, so hooks a newer
    # worker knows about pass through instead of failing validation.
    callbacks: dict[str, bool] = Field(default_factory=dict)
    actions: list[str] = Field(default_factory=list)
    ui_name: str | None = None

    def has(self, name: str) -> bool:
        """Whether the app registered the hook ``name`` (e.g. ``"on_chat_resume"``)."""
        return self.callbacks.get(name, False)

    def has_action(self, name: str) -> bool:
        """Whether the app registered ``@action_callback(name)``."""
        return name in self.actions
