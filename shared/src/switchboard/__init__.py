"""Switchboard: Chainlit's programming model as services that scale out.

App authors write ``import switchboard as cl`` and use the same decorators and
objects as with Chainlit; the services that run them live under ``services/``.
"""

from switchboard.sdk import (
    ErrorMessage,
    Message,
    Step,
    context,
    make_async,
    on_chat_end,
    on_chat_resume,
    on_chat_start,
    on_message,
    on_stop,
    run_sync,
    sleep,
    step,
    user_session,
)

__version__ = "0.1.0"

__all__ = (
    "ErrorMessage",
    "Message",
    "Step",
    "__version__",
    "context",
    "make_async",
    "on_chat_end",
    "on_chat_resume",
    "on_chat_start",
    "on_message",
    "on_stop",
    "run_sync",
    "sleep",
    "step",
    "user_session",
)
