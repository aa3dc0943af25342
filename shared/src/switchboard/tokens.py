"""User tokens: Chainlit-compatible HS256 JWTs, with server-side revocation.

Claims are Chainlit's (``identifier``, ``display_name``, ``metadata``, ``exp``,
``iat``) plus ``jti`` (revocation) and ``uid`` (the persisted user id). Every
service that accepts a user token verifies it with this module.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any

import jwt

from switchboard.schema.session import UserRef

__all__ = (
    "COOKIE_CHUNK",
    "DecodedToken",
    "InvalidUserToken",
    "decode_user_token",
    "issue_user_token",
    "read_token",
)

ALGORITHM = "HS256"
COOKIE_CHUNK = 3000


class InvalidUserToken(Exception):
    """Missing, malformed, expired, tampered or wrongly signed."""


@dataclass(frozen=True, slots=True)
class DecodedToken:
    user: UserRef
    token_id: str
    expires_at: int


def issue_user_token(secret: str, user: UserRef, lifetime: int) -> str:
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
    return DecodedToken(user=user, token_id=token_id, expires_at=int(claims["exp"]))


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
