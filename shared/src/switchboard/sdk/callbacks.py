"""Decorators app authors use, and the registry workers read them from."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from switchboard.schema.manifest import AppManifest

__all__ = (
    "HOOKS",
    "AppCallbacks",
    "action_callback",
    "author_rename",
    "call_user_function",
    "header_auth_callback",
    "oauth_callback",
    "on_app_shutdown",
    "on_app_startup",
    "on_audio_chunk",
    "on_audio_end",
    "on_audio_start",
    "on_chat_end",
    "on_chat_resume",
    "on_chat_start",
    "on_feedback",
    "on_logout",
    "on_message",
    "on_settings_edit",
    "on_settings_update",
    "on_shared_thread_view",
    "on_stop",
    "on_window_message",
    "password_auth_callback",
    "registry",
    "set_chat_profiles",
    "set_starter_categories",
    "set_starters",
)

F = TypeVar("F", bound=Callable[..., Any])

HOOKS = (
    "on_chat_start",
    "on_message",
    "on_chat_end",
    "on_chat_resume",
    "on_stop",
    "on_settings_update",
    "on_settings_edit",
    "on_window_message",
    "on_audio_start",
    "on_audio_chunk",
    "on_audio_end",
    "on_app_startup",
    "on_app_shutdown",
    "on_feedback",
    "on_shared_thread_view",
    "on_logout",
    "author_rename",
    "set_chat_profiles",
    "set_starters",
    "set_starter_categories",
    "password_auth_callback",
    "header_auth_callback",
    "oauth_callback",
)


@dataclass
class AppCallbacks:
    """What one app module registered."""

    hooks: dict[str, Callable[..., Any]] = field(default_factory=dict)
    actions: dict[str, Callable[..., Any]] = field(default_factory=dict)

    def get(self, name: str) -> Callable[..., Any] | None:
        return self.hooks.get(name)

    @property
    def on_chat_start(self) -> Callable[..., Any] | None:
        return self.hooks.get("on_chat_start")

    @property
    def on_message(self) -> Callable[..., Any] | None:
        return self.hooks.get("on_message")

    @property
    def on_chat_end(self) -> Callable[..., Any] | None:
        return self.hooks.get("on_chat_end")

    def manifest(self, ui_name: str | None = None) -> AppManifest:
        """What services that do not load the app need to know about it."""
        return AppManifest(
            callbacks={name: name in self.hooks for name in HOOKS},
            actions=sorted(self.actions),
            ui_name=ui_name,
        )


# The process-wide registry an app module fills at import.
registry = AppCallbacks()


async def call_user_function(func: Callable[..., Any], *args: Any) -> Any:
    """Call sync or async app code, passing only as many args as it declares."""
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        params = None
    if params is not None and not any(p.kind == p.VAR_POSITIONAL for p in params):
        positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        args = args[: len(positional)]
    if inspect.iscoroutinefunction(func):
        return await func(*args)
    # to_thread copies the context, so SDK calls from sync code find their session.
    result = await asyncio.to_thread(func, *args)
    if inspect.isawaitable(result):
        return await result
    return result


def _hook(name: str) -> Callable[[F], F]:
    def decorator(func: F) -> F:
        registry.hooks[name] = func
        return func

    decorator.__name__ = name
    return decorator


on_chat_start = _hook("on_chat_start")
on_message = _hook("on_message")
on_chat_end = _hook("on_chat_end")
on_chat_resume = _hook("on_chat_resume")
on_stop = _hook("on_stop")
on_settings_update = _hook("on_settings_update")
on_settings_edit = _hook("on_settings_edit")
on_window_message = _hook("on_window_message")
on_audio_start = _hook("on_audio_start")
on_audio_chunk = _hook("on_audio_chunk")
on_audio_end = _hook("on_audio_end")
on_app_startup = _hook("on_app_startup")
on_app_shutdown = _hook("on_app_shutdown")
on_feedback = _hook("on_feedback")
on_shared_thread_view = _hook("on_shared_thread_view")
on_logout = _hook("on_logout")
author_rename = _hook("author_rename")
set_chat_profiles = _hook("set_chat_profiles")
set_starters = _hook("set_starters")
set_starter_categories = _hook("set_starter_categories")
password_auth_callback = _hook("password_auth_callback")
header_auth_callback = _hook("header_auth_callback")
oauth_callback = _hook("oauth_callback")


def action_callback(name: str) -> Callable[[F], F]:
    """Run the decorated function when an action called ``name`` is clicked."""

    def decorator(func: F) -> F:
        registry.actions[name] = func
        return func

    return decorator
