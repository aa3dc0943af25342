"""Who is calling: the gateway checks every request's identity here.

Tokens are verified locally (signature, expiry) and against Redis: the
revocation list (logout) and the user's current credential version (password
change, removal, role change), in one round trip, so a token ends on every
gateway at once. A version missing from Redis (expired, or Redis restarted)
is asked of the auth service, which answers from its database and caches it.
Whether login is required comes from the auth service, cached briefly; when
the cache lapses, concurrent callers share one request (a burst of connects
would otherwise send one each).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import Request
from redis.asyncio import Redis

from switchboard.names import RedisNames
from switchboard.schema.session import UserRef
from switchboard.tokens import (
    NO_SUCH_USER,
    DecodedToken,
    InvalidUserToken,
    credentials_current,
    decode_user_token,
    read_token,
)
from switchboard_gateway.errors import SignInUnavailable, Unauthorized
from switchboard_gateway.upstream import Upstreams

__all__ = ("GatewayIdentity", "Identity", "IdentityUnavailable", "socket_headers")

logger = logging.getLogger(__name__)

_POLICY_TTL_S = 2.0


class IdentityUnavailable(Exception):
    """The auth service could not be asked; the caller is told to try again (503)."""


@dataclass(frozen=True, slots=True)
class Identity:
    user: UserRef | None
    token_id: str | None
    login_required: bool
    credential_version: str | None = None
    expires_at: int | None = None

    @property
    def refused(self) -> bool:
        return self.login_required and self.user is None


class GatewayIdentity:
    def __init__(
        self,
        redis: Redis,
        names: RedisNames,
        upstreams: Upstreams,
        secret: str | None,
        cookie_name: str,
    ) -> None:
        self.redis = redis
        self.names = names
        self.upstreams = upstreams
        self.auth: httpx.AsyncClient = upstreams.auth
        self.secret = secret
        self.cookie_name = cookie_name
        self._policy: tuple[float, bool] = (0.0, False)
        self._asking: asyncio.Future[bool] | None = None

    async def login_required(self) -> bool:
        at, required = self._policy
        if time.monotonic() - at < _POLICY_TTL_S:
            return required
        if self._asking is None or self._asking.done():
            self._asking = asyncio.ensure_future(self._ask_policy())
        # Shielded: one caller going away (a socket closed mid-connect) must not cancel
        # the request the others wait on.
        return await asyncio.shield(self._asking)

    async def _ask_policy(self) -> bool:
        try:
            response = await self.auth.get("/auth/config")
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise IdentityUnavailable(f"auth service: {exc!r}") from exc
        required = bool(response.json().get("requireLogin"))
        self._policy = (time.monotonic(), required)
        return required

    async def __call__(self, headers: Mapping[str, str]) -> Identity:
        if not await self.login_required():
            return Identity(None, None, False)
        token = read_token(headers, self.cookie_name)
        if token is None or not self.secret:
            return Identity(None, None, True)
        try:
            decoded = decode_user_token(self.secret, token)
        except InvalidUserToken:
            return Identity(None, None, True)
        # Without a version the token was minted elsewhere: POST /auth/jwt exchanges it.
        if decoded.credential_version is None or not await self.still_valid(decoded):
            return Identity(None, None, True)
        return Identity(
            decoded.user, decoded.token_id, True, decoded.credential_version, decoded.expires_at
        )

    async def still_valid(self, decoded: DecodedToken) -> bool:
        """Not logged out, and issued under the user's current credentials."""
        identifier = decoded.user.identifier
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.exists(self.names.revoked_token(decoded.token_id))
            pipe.get(self.names.user_credentials(identifier))
            revoked, cached = await pipe.execute()
        if revoked:
            return False
        if cached is None:
            return credentials_current(decoded, await self._ask_auth(identifier))
        current = cached.decode() if isinstance(cached, bytes) else str(cached)
        return credentials_current(decoded, None if current == NO_SUCH_USER else current)

    async def _ask_auth(self, identifier: str) -> str | None:
        """The user's credential version from the auth database (which refills the cache)."""
        try:
            response = await self.auth.post(
                "/internal/credentials",
                json={"identifier": identifier},
                headers=self.upstreams.token_headers("auth", None),
            )
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise IdentityUnavailable(f"auth service: {exc!r}") from exc
        version = response.json().get("version")
        return version if isinstance(version, str) else None

    async def require(self, request: Request) -> UserRef | None:
        """For REST routes: the user, None when login is off, else 401."""
        try:
            identity = await self(request.headers)
        except IdentityUnavailable as exc:
            logger.warning("identity check unavailable", extra={"error": str(exc)})
            raise SignInUnavailable() from exc
        if identity.refused:
            raise Unauthorized("Invalid authentication token")
        return identity.user


def socket_headers(environ: dict[str, Any]) -> dict[str, str]:
    """The headers of a Socket.IO handshake that identity depends on."""
    return {
        "cookie": str(environ.get("HTTP_COOKIE", "")),
        "authorization": str(environ.get("HTTP_AUTHORIZATION", "")),
    }
