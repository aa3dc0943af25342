"""Fixtures for the gateway's in-process tests.

The shared fixtures (``redis_url``, ``redis_prefix``, ``redis_client``, ...) come from
``tests.support.fixtures``, which the repository's root conftest registers. Here the
gateway, the sessions service and the auth service run in this test's event loop,
each a real uvicorn server on an ephemeral port: the gateway reaches the other two
over HTTP as it does in production, and a test drives it with a real Socket.IO client.
The services live as long as the test module; each test has sessions of its own.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as aioredis
from gateway_support import (
    SERVICE_SECRET,
    UNUSED_URL,
    Gateway,
    MakeGateway,
    serve_in_process,
)

from switchboard_auth.app import create_app as create_auth_app
from switchboard_auth.db.engine import migrate
from switchboard_auth.settings import AuthSettings
from switchboard_gateway.app import create_app as create_gateway_app
from switchboard_gateway.settings import GatewaySettings
from switchboard_sessions.app import create_app as create_sessions_app
from switchboard_sessions.settings import SessionsSettings


@pytest.fixture(scope="module")
async def gateway_prefix(redis_url: str) -> AsyncIterator[str]:
    """A Redis key prefix of this module's services; its keys are deleted afterwards.

    The services are shared by a module's tests, which keep apart by session id.
    """
    prefix = f"sbtest-gw-{uuid.uuid4().hex[:10]}"
    yield prefix
    redis = aioredis.Redis.from_url(redis_url)
    try:
        keys = [key async for key in redis.scan_iter(match=f"{prefix}:*", count=1000)]
        if keys:
            await redis.delete(*keys)
    finally:
        await redis.aclose()


@pytest.fixture(scope="module")
async def upstreams(
    redis_url: str, gateway_prefix: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[str, str]]:
    """The sessions and auth services (auth on a fresh SQLite file, no users): their URLs."""
    common: dict[str, Any] = {
        "redis_url": redis_url,
        "redis_prefix": gateway_prefix,
        "service_secret": SERVICE_SECRET,
        "log_json": False,
    }
    database_url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('auth') / 'auth.db'}"
    await migrate(database_url)
    sessions = create_sessions_app(SessionsSettings(**common, reap_interval=0.2))
    # The field is read by its variable name only; ``database_url=`` would be ignored.
    auth_settings = AuthSettings(**common, SWITCHBOARD_AUTH_DATABASE_URL=database_url)
    assert auth_settings.database_url == database_url
    auth = create_auth_app(auth_settings)
    async with serve_in_process(sessions) as sessions_url, serve_in_process(auth) as auth_url:
        yield sessions_url, auth_url


@pytest.fixture(scope="module")
def make_gateway(redis_url: str, gateway_prefix: str, upstreams: tuple[str, str]) -> MakeGateway:
    """Start a gateway with settings overridden by keyword; stopped when the block ends."""
    sessions_url, auth_url = upstreams

    @contextlib.asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[Gateway]:
        settings = GatewaySettings(
            redis_url=redis_url,
            redis_prefix=gateway_prefix,
            service_secret=SERVICE_SECRET,
            sessions_url=sessions_url,
            auth_url=auth_url,
            persistence_url=UNUSED_URL,
            log_json=False,
            relay_shards=1,
            **overrides,
        )
        apps = create_gateway_app(settings)
        async with serve_in_process(apps.public, ws_max_size=settings.max_packet_bytes) as url:
            started = Gateway(url, gateway_prefix, settings)
            try:
                yield started
            finally:
                # Clients leave first: the server then stops without waiting on them.
                await started.close_clients()

    return start


@pytest.fixture(scope="module")
async def module_gateway(make_gateway: MakeGateway) -> AsyncIterator[Gateway]:
    async with make_gateway() as started:
        yield started


@pytest.fixture
async def gateway(module_gateway: Gateway) -> AsyncIterator[Gateway]:
    """The module's gateway with the default settings; this test's clients leave after it."""
    yield module_gateway
    await module_gateway.close_clients()
