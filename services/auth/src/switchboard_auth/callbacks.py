"""Run one of the app's auth callbacks in a worker and return its verdict."""

from __future__ import annotations

from switchboard.app_calls import AppCallTimeout, call_app
from switchboard.schema.app_calls import HeaderAuthCall, OAuthCall, PasswordAuthCall
from switchboard.schema.session import UserRef
from switchboard.streams import Streams

__all__ = ("CallbackUnavailable", "run_callback")

CallbackUnavailable = AppCallTimeout


async def run_callback(
    streams: Streams, call: PasswordAuthCall | HeaderAuthCall | OAuthCall, timeout: float
) -> UserRef | None:
    reply = await call_app(streams, call, timeout)
    return reply.user
