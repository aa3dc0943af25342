"""Bridges between app code and the worker's event loop."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

from switchboard.sdk.context import _context, get_context

__all__ = ("make_async", "run_sync", "send_window_message", "sleep")

P = ParamSpec("P")
T = TypeVar("T")


def run_sync(coro: Coroutine[Any, Any, T]) -> T | None:
    """Run a coroutine from sync app code and wait for it.

    From a worker thread it runs on the session's loop and blocks the thread;
    on the loop itself it cannot block, so it is scheduled in order instead.
    """
    ctx = get_context()
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is not None:
        task = running.create_task(coro)
        ctx.background.add(task)
        task.add_done_callback(ctx.background.discard)
        return None
    if ctx.loop is None:
        raise RuntimeError("no event loop bound to this session")
    return asyncio.run_coroutine_threadsafe(coro, ctx.loop).result()


def make_async(func: Callable[P, T]) -> Callable[P, Awaitable[T]]:
    """Run a blocking function in a thread so the worker's loop stays free."""

    @functools.wraps(func)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        return await asyncio.to_thread(func, *args, **kwargs)

    return wrapper


async def sleep(duration: float) -> None:
    # Chainlit's background work (a deferred first_interaction) runs while the app sleeps.
    ctx = _context.get()
    if ctx is not None:
        await ctx.emitter.flush()
    await asyncio.sleep(duration)


async def send_window_message(data: Any) -> None:
    """Post ``data`` to the page hosting the chat (``window.parent.postMessage``)."""
    from switchboard.sdk.emitter import AppEmitter

    await AppEmitter(get_context()).send_window_message(data)
