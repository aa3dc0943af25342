"""Errors the gateway's REST routes answer with, as Chainlit's server does.

Every one becomes ``{"detail": ...}`` with its status code (one handler, in
``app.py``), the shape Chainlit's UI reads from ``HTTPException``.

GatewayError
 ├── BadRequest         400  a feature is off, a name or id is malformed
 │    └── UploadRefused  400/413  an upload breaks its ask's or the app's rules
 ├── Unauthorized       401  not signed in, or not the session's owner
 ├── NotFound           404  missing or not the caller's (one answer, so nothing leaks)
 ├── Unprocessable      422  a value FastAPI's validation cannot judge
 ├── Refused            any  an owning service's or the app's refusal, passed on as given
 ├── AppUnavailable     503  the app did not answer in time
 ├── SignInUnavailable  503  the auth service could not be asked (with Retry-After)
 └── ActionTimedOut     504  an action callback did not finish in time
"""

from __future__ import annotations

from typing import Any

from switchboard.http_errors import ServiceHttpError

__all__ = (
    "ActionTimedOut",
    "AppUnavailable",
    "BadRequest",
    "GatewayError",
    "NotFound",
    "Refused",
    "SignInUnavailable",
    "Unauthorized",
    "Unprocessable",
    "UploadRefused",
)


class GatewayError(ServiceHttpError):
    """Root of the errors the gateway answers; ``detail`` is what the client reads."""


class BadRequest(GatewayError):
    status_code = 400
    default_detail = "Bad request"


class UploadRefused(BadRequest):
    """The file's type, extension, size or count is not allowed (413 for size)."""

    def __init__(self, status_code: int, detail: str) -> None:
        super().__init__(detail, status_code=status_code)


class Unauthorized(GatewayError):
    status_code = 401
    default_detail = "Unauthorized"


class NotFound(GatewayError):
    status_code = 404
    default_detail = "Not found"


class Unprocessable(GatewayError):
    status_code = 422
    default_detail = "Invalid input"


class Refused(GatewayError):
    """Another service's (or the app's) refusal, passed on with its status and detail."""

    def __init__(self, status_code: int, detail: Any) -> None:
        super().__init__(detail, status_code=status_code)


class AppUnavailable(GatewayError):
    status_code = 503
    default_detail = "The app did not answer; try again"


class SignInUnavailable(GatewayError):
    """Identity could not be checked (auth service away); the client retries shortly."""

    status_code = 503
    default_detail = "Sign-in is briefly unavailable; try again"

    def __init__(self) -> None:
        super().__init__(headers={"Retry-After": "2"})


class ActionTimedOut(GatewayError):
    status_code = 504
    default_detail = "The action did not complete in time"
