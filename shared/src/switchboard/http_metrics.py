"""Request rate, errors and latency of every HTTP service, by route template.

A pure ASGI middleware (no ``BaseHTTPMiddleware``: no extra task or body copy per
request). The ``route`` label is the template the router matched
(``/project/thread/{thread_id}``), never the raw path, so a client cannot grow the
series without bound; a path no route matches is ``UNMATCHED``.
"""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import Counter, Histogram
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ("REQUESTS", "REQUEST_SECONDS", "UNMATCHED", "HttpMetrics", "route_template")

UNMATCHED = "<unmatched>"
# Any other method (clients may send anything) counts as one value.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUESTS = Counter(
    "switchboard_http_requests_total",
    "HTTP requests answered, by service, method, route template and status",
    ["service", "method", "route", "status"],
)
REQUEST_SECONDS = Histogram(
    "switchboard_http_request_seconds",
    "Time from a request's arrival to the end of its response, by route template",
    ["service", "method", "route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)


def route_template(scope: Scope) -> str:
    """The path template of the route that handled ``scope``, or ``UNMATCHED``.

    Read after the app ran: the router records the route it chose in the scope. A
    mount is recorded only as its app (``endpoint``); its template is the mount's
    (``/assets/{path}``), found among the app's routes. A 404 leaves neither.
    """
    route: Any = scope.get("route")
    template = getattr(route, "path_format", None)
    if isinstance(template, str) and template:
        return template
    endpoint = scope.get("endpoint")
    if endpoint is not None:
        for candidate in getattr(scope.get("app"), "routes", ()):
            if isinstance(candidate, Mount) and candidate.app is endpoint:
                return candidate.path_format
    return UNMATCHED


class HttpMetrics:
    """Counts and times each HTTP request of ``app`` as ``service``."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        # An exception before the response started reaches the client as a 500.
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            method = scope["method"] if scope["method"] in _METHODS else "OTHER"
            route = route_template(scope)
            REQUEST_SECONDS.labels(self.service, method, route).observe(
                time.perf_counter() - started
            )
            REQUESTS.labels(self.service, method, route, str(status)).inc()
