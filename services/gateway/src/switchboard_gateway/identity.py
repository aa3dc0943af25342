"""Who is connecting: the gateway checks every request's identity here.

Without login callbacks every client is anonymous; login (JWT cookies) plugs
in behind the same function.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from switchboard.schema.session import UserRef

__all__ = ("Identifier", "anonymous")

Identifier = Callable[[dict[str, Any]], Awaitable[UserRef | None]]


async def anonymous(environ: dict[str, Any]) -> UserRef | None:
    return None
