"""One log line per refused request body, path or query: the route and the reason.

FastAPI answers invalid input with 422 and logs nothing; an unexpected error
logs a traceback. Refusals are expected, so they get one structured line and
FastAPI's usual ``{"detail": [...]}`` answer, never a traceback.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from starlette.responses import Response

__all__ = ("log_refusals", "refusal_reason")

logger = logging.getLogger("switchboard.refusals")

# Enough to say what was wrong; the refused values themselves are not logged.
_REASON_MAX = 500


def refusal_reason(exc: RequestValidationError) -> str:
    """``body.threadId: String should match pattern ...; query.x: ...``, without values."""
    parts = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error.get("loc", ()))
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts)[:_REASON_MAX]


def log_refusals(app: FastAPI) -> None:
    """Log each 422 on one line (method, route template, reason), then answer as FastAPI does."""

    async def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        route = request.scope.get("route")
        logger.info(
            "request refused",
            extra={
                "method": request.method,
                "route": getattr(route, "path", request.url.path),
                "status": 422,
                "reason": refusal_reason(exc),
            },
        )
        return await request_validation_exception_handler(request, exc)

    app.add_exception_handler(RequestValidationError, refused)
