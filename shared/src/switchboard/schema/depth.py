"""One limit on JSON nesting, checked by every process that takes free-form JSON.

The gateway refuses deeper values at the edge, and the worker and persistence
validate with the same models, so nothing the gateway accepted is dropped
downstream. The limit sits well below pydantic's JSON parser's own (200
levels for a whole document, envelope included).
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator

__all__ = ("MAX_JSON_DEPTH", "JsonObject", "JsonValue", "check_depth", "json_depth")

# Nesting of one free-form value (step metadata, element props, action payload...):
# ``{}`` is 1 level, ``{"a": {}}`` 2. Envelopes add a few levels around it.
MAX_JSON_DEPTH = 64

T = TypeVar("T")


def json_depth(value: Any, *, stop_after: int | None = None) -> int:
    """Nesting depth of dicts and lists; iterative, so any depth is measured safely.

    With ``stop_after``, returns as soon as the depth exceeds it.
    """
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        depth += 1
        if depth > deepest:
            deepest = depth
            if stop_after is not None and deepest > stop_after:
                return deepest
        stack.extend((child, depth) for child in children)
    return deepest


def check_depth(value: T, limit: int = MAX_JSON_DEPTH) -> T:
    """The value itself when it nests at most ``limit`` levels, else ValueError."""
    if json_depth(value, stop_after=limit) > limit:
        raise ValueError(f"nested deeper than {limit} levels")
    return value


JsonObject = Annotated[dict[str, Any], AfterValidator(check_depth)]
JsonValue = Annotated[Any, AfterValidator(check_depth)]
