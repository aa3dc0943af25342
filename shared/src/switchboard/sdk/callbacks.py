"""Decorators app authors use, and the registry workers read them from."""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, overload

from switchboard.schema.manifest import AppManifest

__all__ = (
    "HOOKS",
    "AppCallbacks",
    "action_callback",
    "author_rename",
    "call_user_function",
    "data_layer",
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
    "on_mcp_connect",
    "on_mcp_disconnect",
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

logger = logging.getLogger(__name__)

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
    "on_mcp_connect",
    "on_mcp_disconnect",
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
    # Hooks the app declared safe to run again when their worker dies mid-run.
    retry_safe: set[str] = field(default_factory=set)
    # ``@data_layer``: builds the app's BaseDataLayer (called once per process).
    data_layer: Callable[[], Any] | None = None

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


@overload
def on_message(func: F, /) -> F: ...
@overload
def on_message(*, retry: bool = False) -> Callable[[F], F]: ...
def on_message(func: F | None = None, /, *, retry: bool = False) -> F | Callable[[F], F]:
    """Chainlit's ``@on_message``; ``@on_message(retry=True)`` also says the callback may
    run again from the start if the worker running it dies (it has no effect that must
    not happen twice, or guards against that itself)."""

    def decorator(inner: F) -> F:
        registry.hooks["on_message"] = inner
        if retry:
            registry.retry_safe.add("on_message")
        else:
            registry.retry_safe.discard("on_message")
        return inner

    return decorator(func) if func is not None else decorator


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
# (connection, mcp.ClientSession) after a server is opened for the session, and
# (name, mcp.ClientSession) before it is closed; run on the worker holding it.
on_mcp_connect = _hook("on_mcp_connect")
on_mcp_disconnect = _hook("on_mcp_disconnect")
author_rename = _hook("author_rename")
set_chat_profiles = _hook("set_chat_profiles")
set_starters = _hook("set_starters")
set_starter_categories = _hook("set_starter_categories")
password_auth_callback = _hook("password_auth_callback")
header_auth_callback = _hook("header_auth_callback")
oauth_callback = _hook("oauth_callback")


def data_layer(func: F, /) -> F:
    """Chainlit's ``@cl.data_layer``: the function returns the app's ``BaseDataLayer``.

    The persistence service calls it when it runs in ``app`` mode and sends every
    read and write there (docs/persistence-api.md); ``switchboard.data.get_data_layer()``
    calls it in the app's own process.
    """
    registry.data_layer = func
    if os.environ.get("SWITCHBOARD_PERSISTENCE_SCHEMA", "switchboard") != "app":
        logger.warning(
            "@data_layer %s is used only when the persistence service runs with "
            "SWITCHBOARD_PERSISTENCE_SCHEMA=app (docs/persistence-api.md); until then "
            "conversations are stored in SWITCHBOARD_DATABASE_URL",
            getattr(func, "__name__", func),
        )
    return func


def action_callback(name: str) -> Callable[[F], F]:
    """Run the decorated function when an action called ``name`` is clicked."""

    def decorator(func: F) -> F:
        registry.actions[name] = func
        return func

    return decorator
