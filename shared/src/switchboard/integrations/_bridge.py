"""Run SDK calls from framework callbacks, wherever the framework calls them."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from switchboard.sdk.context import get_context

T = TypeVar("T")


async def on_session_loop(coro: Coroutine[Any, Any, T]) -> T:
    """Await ``coro`` on the session's loop.

    Frameworks call async handlers from sync code on a loop of their own (in a
    worker thread); the session's Redis connections belong to the worker's loop.
    """
    loop = get_context().loop
    if loop is None or asyncio.get_running_loop() is loop:
        return await coro
    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, loop))
