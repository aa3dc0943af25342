"""Chainlit's ``chainlit.data.utils``, plus the thread a data-layer write belongs to.

``queue_until_user_message`` holds data-layer writes until the session's first
interaction. Switchboard's persistence events already wait for it (the thread
is created then), so here the decorator leaves the method as it is.

Some of Chainlit's data-layer methods take no thread id (``delete_step``) and read
the session's thread from the context. The persistence service has no session
context when it calls an app's data layer, so it names the thread of each write
with :func:`writing_thread`; :func:`current_thread_id` finds it either way.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any, TypeVar

__all__ = ("current_thread_id", "queue_until_user_message", "writing_thread")

F = TypeVar("F", bound=Callable[..., Any])

_thread: ContextVar[str | None] = ContextVar("switchboard_data_layer_thread", default=None)


def queue_until_user_message() -> Callable[[F], F]:
    def decorator(method: F) -> F:
        return method

    return decorator


@contextlib.contextmanager
def writing_thread(thread_id: str | None) -> Iterator[None]:
    """Calls to a data layer inside the block write to ``thread_id``."""
    token = _thread.set(thread_id)
    try:
        yield
    finally:
        _thread.reset(token)


def current_thread_id() -> str | None:
    """The thread being written: named by the persistence service, else the session's."""
    named = _thread.get()
    if named is not None:
        return named
    from switchboard.sdk.context import _context

    ctx = _context.get()
    return ctx.thread_id if ctx is not None else None
