"""Signing a test user in through the gateway with the test apps' header login."""

from __future__ import annotations

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
    await _auth_config_once(http, "headerAuth")
    login = await http.post("/auth/header", headers={"X-Test-User": name})
    assert login.status_code == 200, login.text
    return str(http.cookies["access_token"])


async def login_required(http: httpx.AsyncClient) -> dict[str, Any]:
    """The gateway's ``/auth/config`` once it requires login (the app's auth has loaded)."""
    return await _auth_config_once(http, "requireLogin")


async def _auth_config_once(http: httpx.AsyncClient, key: str) -> dict[str, Any]:
    """The gateway's ``/auth/config`` once ``key`` is set in it (once the app has loaded)."""

    async def config() -> dict[str, Any] | None:
        answer: dict[str, Any] = (await http.get("/auth/config")).json()
        return answer if answer.get(key) else None

    found = await eventually(config, f"/auth/config with {key}")
    assert found is not None
    return found
