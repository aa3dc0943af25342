"""Chainlit decorators for features Switchboard does not run (yet).

They accept the function, so an app that defines them loads and serves chats,
and log once which callback will not be called and what Switchboard does instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ("on_slack_reaction_added",)

F = TypeVar("F", bound=Callable[..., Any])

logger = logging.getLogger(__name__)


def _ignored(name: str, instead: str) -> Callable[[F], F]:
    def decorator(func: F) -> F:
        logger.warning("@%s %s is not called: %s", name, getattr(func, "__name__", func), instead)
        return func

    decorator.__name__ = name
    return decorator


on_slack_reaction_added = _ignored(
    "on_slack_reaction_added", "Switchboard serves the web UI only, not Slack"
)
