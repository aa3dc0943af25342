"""Short-lived tokens that services present to each other.

The gateway vouches for the end user it verified by minting a token that
names that user (or anonymous); internal services verify the signature and
audience themselves instead of trusting a bare header.
"""

from __future__ import annotations

import time
from typing import Any

import jwt
from pydantic import BaseModel

from switchboard.schema.session import UserRef

__all__ = ("InternalCaller", "InvalidServiceToken", "mint_service_token", "verify_service_token")

_ALGORITHM = "HS256"
_ISSUER = "switchboard"
DEFAULT_TTL_SECONDS = 60


class InvalidServiceToken(Exception):
    """The caller's token is missing, malformed, expired or for another audience."""


class InternalCaller(BaseModel):
    service: str
    user: UserRef | None = None


def mint_service_token(
    secret: str,
    *,
    service: str,
    audience: str,
    user: UserRef | None = None,
    ttl: int = DEFAULT_TTL_SECONDS,
) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": _ISSUER,
        "sub": service,
        "aud": audience,
        "iat": now,
        "exp": now + ttl,
    }
    if user is not None:
        claims["user"] = user.model_dump(mode="json")
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


def verify_service_token(secret: str, token: str, *, audience: str) -> InternalCaller:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[_ALGORITHM],
            audience=audience,
            issuer=_ISSUER,
            options={"require": ["exp", "iat", "sub", "aud", "iss"]},
        )
    except jwt.PyJWTError as exc:
        raise InvalidServiceToken(str(exc)) from exc
    raw_user = claims.get("user")
    return InternalCaller(
        service=str(claims["sub"]),
        user=UserRef.model_validate(raw_user) if raw_user is not None else None,
    )
