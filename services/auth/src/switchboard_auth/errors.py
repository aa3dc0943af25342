"""Errors the auth service answers with, as Chainlit's auth routes do.

Every one becomes ``{"detail": ...}`` with its status code (one handler, in
``app.py``); the gateway passes the answer on to the browser unchanged.

AuthError
 ├── LoginNotOffered   400  the app defines no callback for this kind of login
 ├── Unauthorized      401  no valid token, or a token that cannot be exchanged
 │    └── LoginRefused 401  wrong credentials, or the app's callback said no
 ├── ProviderNotFound  404  no such OAuth provider is configured
 ├── Throttled         429  too many failed logins (with Retry-After)
 ├── SecretMissing     500  login is required but no token secret is set
 └── LoginUnavailable  503  the app's auth callback did not answer in time
"""

from __future__ import annotations

from switchboard.http_errors import ServiceHttpError

__all__ = (
    "AuthError",
    "LoginNotOffered",
    "LoginRefused",
    "LoginUnavailable",
    "ProviderNotFound",
    "SecretMissing",
    "Throttled",
    "Unauthorized",
)


class AuthError(ServiceHttpError):
    """Root of the errors the auth routes answer; ``detail`` is what the client reads."""


class LoginNotOffered(AuthError):
    """``No <callback> defined``: Chainlit's answer when the app has no such login."""

    status_code = 400

    def __init__(self, callback: str) -> None:
        super().__init__(f"No {callback} defined")


class Unauthorized(AuthError):
    status_code = 401
    default_detail = "Invalid authentication token"


class LoginRefused(Unauthorized):
    # The code Chainlit's login page turns into "check your credentials".
    default_detail = "credentialssignin"


class ProviderNotFound(AuthError):
    status_code = 404

    def __init__(self, provider_id: str) -> None:
        super().__init__(f"Provider {provider_id} not found")


class Throttled(AuthError):
    """Too many failed logins for this user or address; try again after ``retry_after`` s."""

    status_code = 429
    default_detail = "Too many failed login attempts"

    def __init__(self, retry_after: int) -> None:
        super().__init__(headers={"Retry-After": str(retry_after)})
        self.retry_after = retry_after


class SecretMissing(AuthError):
    status_code = 500
    default_detail = "Login is required but CHAINLIT_AUTH_SECRET is not set on the server"


class LoginUnavailable(AuthError):
    status_code = 503
    default_detail = "Login is unavailable, try again"
