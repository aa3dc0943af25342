"""The app SDK: what ``import switchboard as cl`` gives app authors."""

from switchboard.sdk.callbacks import (
    AppCallbacks,
    on_chat_end,
    on_chat_resume,
    on_chat_start,
    on_message,
    on_stop,
    registry,
)
from switchboard.sdk.context import ContextError, Emitter, SessionContext, context
from switchboard.sdk.message import ErrorMessage, Message
from switchboard.sdk.step import Step, step
from switchboard.sdk.user_session import user_session
from switchboard.sdk.utils import make_async, run_sync, sleep

__all__ = (
    "AppCallbacks",
    "ContextError",
    "Emitter",
    "ErrorMessage",
    "Message",
    "SessionContext",
    "Step",
    "context",
    "make_async",
    "on_chat_end",
    "on_chat_resume",
    "on_chat_start",
    "on_message",
    "on_stop",
    "registry",
    "run_sync",
    "sleep",
    "step",
    "user_session",
)
