"""User tokens: Chainlit-compatible HS256 JWTs, with server-side revocation.

Claims are Chainlit's (``identifier``, ``display_name``, ``metadata``, ``exp``,
``iat``) plus ``jti`` (revocation), ``uid`` (the persisted user id) and ``cv``
(the user's credential version when the token was issued: a password change,
removal or role change replaces it, which ends every older token). Every
service that accepts a user token verifies it with this module.
"""

from __future__ import annotations

import hmac
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any, Literal

import jwt

from switchboard.schema.session import UserRef

__all__ = (
    "COOKIE_CHUNK",
    "CREDENTIALS_CACHE_TTL",
    "NO_SUCH_USER",
    "DecodedToken",
    "InvalidUserToken",
    "credentials_current",
    "decode_user_token",
    "issue_user_token",
    "parse_revocation",
    "read_token",
    "user_revocation",
)

ALGORITHM = "HS256"
COOKIE_CHUNK = 3000
# Revocation messages naming a user start with this; token ids never contain ":".
_USER_REVOCATION = "user:"
# Cached as the credential version of a user that does not exist (versions are hex).
NO_SUCH_USER = "-"
# Seconds a cached credential version is trusted before the auth database is asked
# again; it bounds how long a change whose cache write was lost can go unnoticed.
CREDENTIALS_CACHE_TTL = 300


class InvalidUserToken(Exception):
    """Missing, malformed, expired, tampered or wrongly signed."""


@dataclass(frozen=True, slots=True)
class DecodedToken:
    user: UserRef
    token_id: str
    expires_at: int
    # None for tokens minted outside Switchboard (only ``POST /auth/jwt`` takes those).
    credential_version: str | None = None


def issue_user_token(
    secret: str, user: UserRef, lifetime: int, credential_version: str | None = None
) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "identifier": user.identifier,
        "display_name": user.display_name,
        "metadata": user.metadata,
        "iat": now,
        "exp": now + lifetime,
        "jti": uuid.uuid4().hex,
    }
    if user.id is not None:
        claims["uid"] = user.id
    if credential_version is not None:
        claims["cv"] = credential_version
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_user_token(secret: str, token: str) -> DecodedToken:
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "iat"]}
        )
    except jwt.PyJWTError as exc:
        raise InvalidUserToken(str(exc)) from exc
    identifier = claims.get("identifier")
    if not isinstance(identifier, str) or not identifier:
        raise InvalidUserToken("token has no identifier")
    metadata = claims.get("metadata") or {}
    user = UserRef(
        identifier=identifier,
        id=claims.get("uid"),
        display_name=claims.get("display_name"),
        metadata=metadata if isinstance(metadata, dict) else {},
    )
    # Tokens minted elsewhere with the shared secret (POST /auth/jwt) may lack a jti;
    # they are then identified by their own signature for revocation.
    token_id = str(claims.get("jti") or token.rsplit(".", 1)[-1])
    version = claims.get("cv")
    return DecodedToken(
        user=user,
        token_id=token_id,
        expires_at=int(claims["exp"]),
        credential_version=version if isinstance(version, str) and version else None,
    )


def credentials_current(decoded: DecodedToken, current: str | None) -> bool:
    """Whether the token was issued for the user's present credentials.

    ``current`` is the user's credential version now, None when no such user exists.
    """
    if current is None or decoded.credential_version is None:
        return False
    return hmac.compare_digest(decoded.credential_version, current)


def user_revocation(identifier: str) -> str:
    """The revocations-channel message that ends every socket of one user."""
    return _USER_REVOCATION + identifier


def parse_revocation(message: str) -> tuple[Literal["token", "user"], str]:
    """``("token", token_id)`` for one token, ``("user", identifier)`` for a whole user."""
    if message.startswith(_USER_REVOCATION):
        return "user", message[len(_USER_REVOCATION) :]
    return "token", message


def read_token(headers: Mapping[str, str], cookie_name: str) -> str | None:
    """The token from the cookie (whole, or chunked ``_0.._n``), else ``Authorization``."""
    raw_cookie = headers.get("cookie") or ""
    if raw_cookie:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(raw_cookie)
        except Exception:  # a malformed Cookie header is treated as absent
            jar = SimpleCookie()
        if cookie_name in jar:
            return jar[cookie_name].value
        chunks = []
        index = 0
        while f"{cookie_name}_{index}" in jar:
            chunks.append(jar[f"{cookie_name}_{index}"].value)
            index += 1
        if chunks:
            return "".join(chunks)
    authorization = headers.get("authorization") or ""
    if authorization.startswith("Bearer "):
        return authorization[7:].strip() or None
    return None
