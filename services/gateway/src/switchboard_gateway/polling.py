"""A POST to a closed Engine.IO polling session is a 400, as for an unknown one.

python-engineio keeps a closed socket in its table until the next lookup
removes it. For a GET it turns that lookup's ``KeyError`` into a 400; for a
POST it does not, so the request ended in a 500 and a traceback. This
middleware drops the closed socket first, exactly as that lookup would, and
engineio then answers its own "Invalid session" 400.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ("ClosedPollingSessions",)


class ClosedPollingSessions:
    def __init__(self, app: ASGIApp, sockets: Callable[[], dict[str, Any]], path: str) -> None:
        self.app = app
        self.sockets = sockets
        self.prefix = path.rstrip("/") + "/"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            path: str = scope["path"]
            if (path if path.endswith("/") else path + "/").startswith(self.prefix):
                self._forget_closed(scope)
        await self.app(scope, receive, send)

    def _forget_closed(self, scope: Scope) -> None:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        sids = query.get("sid") or []
        sockets = self.sockets()
        socket = sockets.get(sids[0]) if sids else None
        if socket is not None and socket.closed:
            sockets.pop(sids[0], None)
