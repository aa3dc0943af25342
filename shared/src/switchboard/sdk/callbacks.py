"""Decorators app authors use, and the registry workers read them from."""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

__all__ = (
    "AppCallbacks",
    "call_user_function",
    "on_chat_end",
    "on_chat_resume",
    "on_chat_start",
    "on_message",
    "on_stop",
    "registry",
)

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class AppCallbacks:
    """What one app module registered."""

    on_chat_start: Callable[..., Any] | None = None
    on_message: Callable[..., Any] | None = None
    on_chat_end: Callable[..., Any] | None = None
    on_chat_resume: Callable[..., Any] | None = None
    on_stop: Callable[..., Any] | None = None
    extra: dict[str, Callable[..., Any]] = field(default_factory=dict)

    def manifest(self) -> dict[str, bool]:
        """Which callbacks exist, for services that do not load the app."""
        names = ("on_chat_start", "on_message", "on_chat_end", "on_chat_resume", "on_stop")
        result = {name: getattr(self, name) is not None for name in names}
        result.update({name: True for name in self.extra})
        return result


# The process-wide registry an app module fills at import.
registry = AppCallbacks()


async def call_user_function(func: Callable[..., Any], *args: Any) -> Any:
    """Call sync or async app code, passing only as many args as it declares."""
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        params = None
    if params is not None and not any(p.kind in (p.VAR_POSITIONAL,) for p in params):
        positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        args = args[: len(positional)]
    if inspect.iscoroutinefunction(func):
        return await func(*args)
    result = await asyncio.to_thread(_run_sync_in_context(func), *args)
    if inspect.isawaitable(result):
        return await result
    return result


def _run_sync_in_context(func: Callable[..., Any]) -> Callable[..., Any]:
    # asyncio.to_thread already copies the context; kept for clarity of intent.
    @functools.wraps(func)
    def runner(*args: Any) -> Any:
        return func(*args)

    return runner


def _register(name: str) -> Callable[[F], F]:
    def decorator(func: F) -> F:
        setattr(registry, name, func)
        return func

    return decorator


def on_chat_start(func: F) -> F:
    return _register("on_chat_start")(func)


def on_message(func: F) -> F:
    return _register("on_message")(func)


def on_chat_end(func: F) -> F:
    return _register("on_chat_end")(func)


def on_chat_resume(func: F) -> F:
    return _register("on_chat_resume")(func)


def on_stop(func: F) -> F:
    return _register("on_stop")(func)
