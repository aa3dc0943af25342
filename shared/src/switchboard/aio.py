"""Small async helpers shared by services."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable
from typing import TypeVar

__all__ = ("resolved",)

T = TypeVar("T")


async def resolved(value: Awaitable[T] | T) -> T:
    """Await redis-py's ``Awaitable[T] | T`` command results with a precise type."""
    if inspect.isawaitable(value):
        return await value
    return value
