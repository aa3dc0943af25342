"""Chat profiles, starters and modes with Chainlit's dict shapes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from switchboard.config import ChainlitConfigOverrides

__all__ = ("ChatProfile", "Feedback", "Mode", "ModeOption", "Starter", "StarterCategory")


@dataclass
class Starter:
    label: str
    message: str
    command: str | None = None
    icon: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "message": self.message,
            "command": self.command,
            "icon": self.icon,
        }


@dataclass
class StarterCategory:
    label: str
    icon: str | None = None
    starters: list[Starter] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "icon": self.icon,
            "starters": [s.to_dict() for s in self.starters],
        }


def _overrides(value: dict[str, Any] | ChainlitConfigOverrides | None) -> dict[str, Any] | None:
    """A dict as given, or a ``ChainlitConfigOverrides`` as the fields the app set."""
    if isinstance(value, ChainlitConfigOverrides):
        return value.to_overrides()
    return value


@dataclass
class ChatProfile:
    name: str
    markdown_description: str
    icon: str | None = None
    display_name: str | None = None
    default: bool = False
    starters: list[Starter] | None = None
    # Deep-merged into ``ui``/``features``/``project`` for sessions of this profile: a
    # dict, or Chainlit's ``ChainlitConfigOverrides``.
    config_overrides: dict[str, Any] | ChainlitConfigOverrides | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "markdown_description": self.markdown_description,
            "icon": self.icon,
            "display_name": self.display_name,
            "default": self.default,
            "starters": [s.to_dict() for s in self.starters] if self.starters else None,
            "config_overrides": _overrides(self.config_overrides),
        }


@dataclass
class ModeOption:
    id: str
    name: str
    description: str | None = None
    icon: str | None = None
    default: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "icon": self.icon,
            "default": self.default,
        }


@dataclass
class Mode:
    id: str
    name: str
    options: list[ModeOption] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "options": [o.to_dict() for o in self.options]}


@dataclass
class Feedback:
    """A user's rating of a step, as ``on_feedback`` receives it."""

    forId: str
    value: int
    id: str | None = None
    threadId: str | None = None
    comment: str | None = None
