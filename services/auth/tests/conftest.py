"""Fixtures for the auth service's in-process tests.

The shared fixtures (``redis_url``, ``redis_prefix``, ``sqlite_url``, ...) come from
``tests.support.fixtures``, which the repository's root conftest registers. The auth
app runs in the test's event loop with its lifespan, reached through
``httpx.ASGITransport``; its database is a SQLite file in ``tmp_path``, migrated and
given a user by the ``switchboard users add`` command, as an operator would.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from auth_support import AUTH_SECRET, PASSWORD, SERVICE_SECRET, USER, OpenAuth
from typer.testing import CliRunner

from switchboard_auth.app import create_app
from switchboard_auth.cli import users_app
from switchboard_auth.settings import AuthSettings


@pytest.fixture
def user_store(sqlite_url: str, redis_url: str, redis_prefix: str) -> str:
    """The auth database (SQLite) with one password user, added by the CLI; its URL."""
    result = CliRunner().invoke(
        users_app,
        ["add", USER, "--display-name", "Alice"],
        input=f"{PASSWORD}\n",
        env={
            "SWITCHBOARD_AUTH_DATABASE_URL": sqlite_url,
            "SWITCHBOARD_REDIS_URL": redis_url,
            "SWITCHBOARD_REDIS_PREFIX": redis_prefix,
        },
    )
    assert result.exit_code == 0, result.output
    assert f"added {USER}" in result.output
    return sqlite_url


@pytest.fixture
def auth_settings(
    user_store: str, redis_url: str, redis_prefix: str
) -> Callable[..., AuthSettings]:
    def make(**overrides: Any) -> AuthSettings:
        # Fields with a variable name of their own are read by that name only.
        values: dict[str, Any] = {
            "SWITCHBOARD_AUTH_DATABASE_URL": user_store,
            "CHAINLIT_AUTH_SECRET": AUTH_SECRET,
            "redis_url": redis_url,
            "redis_prefix": redis_prefix,
            "service_secret": SERVICE_SECRET,
            "log_json": False,
            **overrides,
        }
        settings = AuthSettings(**values)
        assert settings.database_url == user_store
        assert settings.jwt_secret() == AUTH_SECRET
        return settings

    return make


@pytest.fixture
def open_auth(auth_settings: Callable[..., AuthSettings]) -> OpenAuth:
    """Run the auth app with settings overridden by keyword; a browser-like client of it
    (it keeps cookies). The app stops when the block ends."""

    @contextlib.asynccontextmanager
    async def open_client(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(auth_settings(**overrides))
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://testserver") as http,
        ):
            yield http

    return open_client


@pytest.fixture
async def auth_http(open_auth: OpenAuth) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the auth app with the default settings."""
    async with open_auth() as http:
        yield http
