"""Which web origins may use the user's cookie against this gateway.

The auth cookie rides along with any request the browser makes, whichever page
asked for it. So a write (any method but GET, HEAD, OPTIONS) whose ``Origin`` (or,
without one, ``Referer``) names another site is refused; CORS answers only the
origins allowed here; and the Socket.IO handshake applies the same rule.

Allowed: the request's own origin (its scheme and ``Host``, as a trusted proxy
saw them), the public URL, ``SWITCHBOARD_ALLOWED_ORIGINS`` and the app's
``[project] allow_origins``, where ``"*"`` is ignored: Chainlit's default must
not open the cookie to every site. Requests naming no origin at all (curl,
server-to-server) are not a browser acting for someone else and pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ("OriginGuard", "OriginPolicy", "normalise_origin")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_PREFLIGHT_MAX_AGE = "600"


def normalise_origin(value: str) -> str | None:
    """``scheme://host[:port]`` in lower case without a default port; None if not an origin."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}:{port}"
    return f"{scheme}://{host}"


class OriginPolicy:
    """Same origin always; others only when listed."""

    def __init__(self, allowed: Iterable[str]) -> None:
        normalised = {normalise_origin(entry) for entry in allowed if entry.strip() != "*"}
        self.allowed: frozenset[str] = frozenset(o for o in normalised if o is not None)

    def own_origin(self, scope: Scope) -> str | None:
        """The origin this request was made to: its scheme and Host header."""
        host = Headers(scope=scope).get("host")
        if not host:
            return None
        scheme = {"ws": "http", "wss": "https"}.get(scope.get("scheme", ""), scope.get("scheme"))
        return normalise_origin(f"{scheme}://{host}")

    def allows(self, origin: str, scope: Scope) -> bool:
        normalised = normalise_origin(origin)
        if normalised is None:  # "null", garbage: never trusted with the cookie
            return False
        return normalised in self.allowed or normalised == self.own_origin(scope)

    def foreign_origin(self, scope: Scope) -> str | None:
        """The foreign origin a request names (Origin, else Referer), or None."""
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is None:
            referer = headers.get("referer")
            if not referer:
                return None
            origin = normalise_origin(referer) or referer
        return None if self.allows(origin, scope) else origin

    def engineio_check(self, origin: str | None, environ: dict[str, Any]) -> bool:
        """python-engineio's ``cors_allowed_origins`` callable, for the Socket.IO handshake."""
        if origin is None:
            return True
        scope: Scope = environ.get("asgi.scope") or {}
        return self.allows(origin, scope)


class OriginGuard:
    """ASGI middleware: refuse cross-site writes, answer CORS for allowed origins only.

    Paths under ``skip`` (Socket.IO) do their own origin check with the same policy.
    ``exempt`` paths take cross-site form posts by design (an OAuth ``form_post``
    callback, protected by its state cookie).
    """

    def __init__(
        self,
        app: ASGIApp,
        policy: OriginPolicy,
        *,
        skip: tuple[str, ...] = (),
        exempt: frozenset[str] = frozenset(),
    ) -> None:
        self.app = app
        self.policy = policy
        self.skip = skip
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(self.skip):
            await self.app(scope, receive, send)
            return
        method: str = scope["method"]
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if method == "OPTIONS" and origin and "access-control-request-method" in headers:
            await self._preflight(origin, headers, scope)(scope, receive, send)
            return
        if method not in SAFE_METHODS and path not in self.exempt:
            foreign = self.policy.foreign_origin(scope)
            if foreign is not None:
                refused = JSONResponse(
                    {"detail": f"Cross-origin request refused: {foreign} is not an allowed origin"},
                    status_code=403,
                )
                await refused(scope, receive, send)
                return
        if origin is None or not self.policy.allows(origin, scope):
            await self.app(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = [
                    (b"access-control-allow-origin", origin.encode("latin-1")),
                    (b"access-control-allow-credentials", b"true"),
                    (b"vary", b"Origin"),
                ]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_cors)

    def _preflight(self, origin: str, headers: Headers, scope: Scope) -> Response:
        if not self.policy.allows(origin, scope):
            return PlainTextResponse(
                "Disallowed CORS origin", status_code=403, headers={"Vary": "Origin"}
            )
        allow = {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Credentials": "true",
            "Access-Control-Allow-Methods": "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT",
            "Access-Control-Max-Age": _PREFLIGHT_MAX_AGE,
            "Vary": "Origin",
        }
        requested = headers.get("access-control-request-headers")
        if requested:
            allow["Access-Control-Allow-Headers"] = requested
        return PlainTextResponse("OK", status_code=200, headers=allow)
