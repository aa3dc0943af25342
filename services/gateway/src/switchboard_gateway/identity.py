"""Who is calling: the gateway checks every request's identity here.

An identifier looks at the request headers (``cookie``, ``authorization``)
and returns the user, or None for an anonymous caller. Without login
callbacks every caller is anonymous; login plugs in behind the same type.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from switchboard.schema.session import UserRef

__all__ = ("Identifier", "anonymous", "socket_headers")

Identifier = Callable[[Mapping[str, str]], Awaitable[UserRef | None]]


async def anonymous(headers: Mapping[str, str]) -> UserRef | None:
    return None


def socket_headers(environ: dict[str, Any]) -> dict[str, str]:
    """The headers of a Socket.IO handshake that identity depends on."""
    return {
        "cookie": str(environ.get("HTTP_COOKIE", "")),
        "authorization": str(environ.get("HTTP_AUTHORIZATION", "")),
    }
