"""The ``access_token`` cookie with Chainlit's attributes, chunked past 3,000 characters."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Response

from switchboard.tokens import COOKIE_CHUNK

__all__ = ("clear_auth_cookies", "set_auth_cookie")


def set_auth_cookie(
    response: Response,
    token: str,
    *,
    name: str,
    samesite: str,
    max_age: int,
    existing: Mapping[str, str],
) -> None:
    secure = samesite == "none"
    chunks = [token[i : i + COOKIE_CHUNK] for i in range(0, len(token), COOKIE_CHUNK)]
    names = [name] if len(chunks) == 1 else [f"{name}_{i}" for i in range(len(chunks))]
    for cookie, value in zip(names, chunks, strict=True):
        response.set_cookie(
            cookie,
            value,
            httponly=True,
            samesite=samesite,  # type: ignore[arg-type]
            secure=secure,
            max_age=max_age,
            path="/",
        )
    for stale in existing:
        if stale.startswith(name) and stale not in names:
            response.delete_cookie(stale, path="/")


def clear_auth_cookies(response: Response, *, name: str, existing: Mapping[str, str]) -> None:
    for cookie in existing:
        if cookie.startswith(name):
            response.delete_cookie(cookie, path="/")
