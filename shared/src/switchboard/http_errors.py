"""The root every service's HTTP errors share, and the one handler that answers them.

Each service keeps its own root (``GatewayError``, ``AuthError``) so its routes
raise only what it owns; all answer ``{"detail": ...}`` as Chainlit's
``HTTPException`` does, with the status code and headers the error carries.
"""

from __future__ import annotations

from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

__all__ = ("ServiceHttpError", "answer_errors")


class ServiceHttpError(Exception):
    status_code: int = 500
    default_detail: ClassVar[str] = "Internal Server Error"

    def __init__(
        self,
        detail: Any = None,
        *,
        status_code: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.detail: Any = self.default_detail if detail is None else detail
        if status_code is not None:
            self.status_code = status_code
        self.headers = headers
        super().__init__(self.detail)


def answer_errors(app: FastAPI, root: type[ServiceHttpError]) -> None:
    """Answer every ``root`` raised in ``app``'s routes as ``{"detail": ...}``."""

    async def handler(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ServiceHttpError)
        return JSONResponse(
            {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
        )

    app.add_exception_handler(root, handler)
