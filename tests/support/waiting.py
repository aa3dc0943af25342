"""Wait for what a real stack does in its own time, with one generous deadline.

A stack's services start, load the app and store threads asynchronously; on a loaded
machine that takes seconds longer than on a quiet one. The deadline is for hangs, not
for speed (speed is measured in ``bench/``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

__all__ = ("DEADLINE_S", "eventually")

T = TypeVar("T")

DEADLINE_S = 60.0


async def eventually(
    check: Callable[[], Awaitable[T]],
    what: str,
    *,
    timeout: float = DEADLINE_S,
    interval: float = 0.1,
) -> T:
    """Call ``check`` until it returns something truthy, and return that; fail naming
    ``what`` (and the last value) once ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s (last: {value!r})")
        await asyncio.sleep(interval)
