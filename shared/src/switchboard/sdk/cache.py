"""``cache``: in-process memoisation, as Chainlit's (per worker process, not shared)."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ("cache",)

F = TypeVar("F", bound=Callable[..., Any])


def cache(func: F) -> F:
    lock = threading.Lock()
    results: dict[Any, Any] = {}

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = (args, tuple(sorted(kwargs.items())))
        with lock:
            if key in results:
                return results[key]
        value = func(*args, **kwargs)
        with lock:
            results[key] = value
        return value

    return wrapper  # type: ignore[return-value]
