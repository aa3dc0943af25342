"""``User`` and ``PersistedUser`` as Chainlit apps build and receive them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ("PersistedUser", "User")


@dataclass
class User:
    identifier: str
    display_name: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "identifier": self.identifier,
            "display_name": self.display_name,
            "metadata": self.metadata,
        }


@dataclass
class PersistedUser(User):
    id: str = ""
    createdAt: str = ""
