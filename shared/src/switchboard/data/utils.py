"""Chainlit's ``chainlit.data.utils``.

``queue_until_user_message`` holds data-layer writes until the session's first
interaction. Switchboard's persistence events already wait for it (the thread
is created then), so here the decorator leaves the method as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ("queue_until_user_message",)

F = TypeVar("F", bound=Callable[..., Any])


def queue_until_user_message() -> Callable[[F], F]:
    def decorator(method: F) -> F:
        return method

    return decorator
