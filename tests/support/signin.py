"""Signing a test user in through the gateway with the test apps' header login."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from tests.support.waiting import eventually

__all__ = ("FILES_CONFIG", "header_sign_in", "login_required")

# The files test app's config: sharing on, small text uploads allowed.
FILES_CONFIG = """
[features]
allow_thread_sharing = true

[features.spontaneous_file_upload]
enabled = true
accept = { "text/plain" = [".txt"] }
max_files = {max_files}
max_size_mb = 1
"""


async def header_sign_in(http: httpx.AsyncClient, name: str) -> str:
    """Sign ``name`` in on ``http`` (its cookie jar keeps the token); the token."""
    await eventually(_config(http, "headerAuth"), "header login available")
    login = await http.post("/auth/header", headers={"X-Test-User": name})
    assert login.status_code == 200, login.text
    return str(http.cookies["access_token"])


def _config(http: httpx.AsyncClient, key: str) -> Callable[[], Awaitable[bool]]:
    """Whether the gateway's ``/auth/config`` says ``key`` (it does once the app loaded)."""

    async def check() -> bool:
        return bool((await http.get("/auth/config")).json()[key])

    return check


async def login_required(http: httpx.AsyncClient) -> dict[str, Any]:
    """The gateway's ``/auth/config`` once it requires login (the app's auth has loaded)."""

    async def config() -> dict[str, Any] | None:
        answer: dict[str, Any] = (await http.get("/auth/config")).json()
        return answer if answer.get("requireLogin") else None

    found = await eventually(config, "login required")
    assert found is not None
    return found
