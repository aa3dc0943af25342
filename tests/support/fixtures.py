"""Fixtures for cross-service tests: real Redis, real PostgreSQL, real processes.

A service that cannot be reached makes the test fail, never skip.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import redis.asyncio as aioredis

from switchboard.prefork import PreforkServer
from switchboard.stack import LocalStack
from tests.support.services import DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
TEST_APPS = REPO / "tests" / "apps"

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", DEFAULT_REDIS_URL)
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", DEFAULT_DATABASE_URL)


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


@pytest.fixture(scope="session")
def redis_url() -> str:
    async def ping() -> None:
        client = aioredis.Redis.from_url(TEST_REDIS_URL)
        try:
            await client.ping()
        finally:
            await client.aclose()

    try:
        asyncio.run(ping())
    except Exception as exc:
        pytest.fail(f"Redis at {TEST_REDIS_URL} is unreachable: {exc!r}")
    return TEST_REDIS_URL


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix no other test uses; its keys are deleted afterwards."""
    prefix = f"sbtest-{uuid.uuid4().hex[:10]}"
    yield prefix

    async def cleanup() -> None:
        client = aioredis.Redis.from_url(redis_url)
        try:
            keys = [k async for k in client.scan_iter(match=f"{prefix}:*", count=1000)]
            if keys:
                await client.delete(*keys)
        finally:
            await client.aclose()

    asyncio.run(cleanup())


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    """A connection to the test Redis, closed after the test."""
    client = aioredis.Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture(scope="session")
def postgres_server() -> str:
    async def check() -> None:
        conn = await asyncpg.connect(_asyncpg_dsn(TEST_DATABASE_URL), timeout=5)
        await conn.close()

    try:
        asyncio.run(check())
    except Exception as exc:
        pytest.fail(f"PostgreSQL at {TEST_DATABASE_URL} is unreachable: {exc!r}")
    return TEST_DATABASE_URL


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh database on the test server, dropped afterwards."""
    name = f"sbtest_{uuid.uuid4().hex[:12]}"
    base = _asyncpg_dsn(postgres_server)

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(base)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    root, _, _ = base.rpartition("/")
    yield f"postgresql+asyncpg://{root.split('://', 1)[1]}/{name}"
    asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'switchboard.db'}"


@pytest.fixture(params=["postgres", "sqlite"])
def database_url(request: pytest.FixtureRequest) -> str:
    fixture = "postgres_url" if request.param == "postgres" else "sqlite_url"
    url: str = request.getfixturevalue(fixture)
    return url


StackFactory = Callable[..., LocalStack]


@pytest.fixture(scope="session")
def prefork() -> Iterator[PreforkServer | None]:
    """One server per test process that forks services with their modules imported.

    ``SWITCHBOARD_TEST_PREFORK=0`` starts every service as a fresh interpreter instead.
    """
    if os.environ.get("SWITCHBOARD_TEST_PREFORK", "1") == "0":
        yield None
        return
    server = PreforkServer().start()
    yield server
    server.close()


@pytest.fixture
def make_stack(
    redis_url: str,
    redis_prefix: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    prefork: PreforkServer | None,
) -> Iterator[StackFactory]:
    """Start stacks of real service processes; all are stopped at teardown."""
    started: list[LocalStack] = []

    def factory(
        app: Path | str = EXAMPLES / "demo.py",
        *,
        database_url: str | None = None,
        config_file: Path | None = None,
        **kwargs: Any,
    ) -> LocalStack:
        stack = LocalStack(
            app=Path(app),
            redis_url=redis_url,
            redis_prefix=redis_prefix,
            database_url=database_url or f"sqlite+aiosqlite:///{tmp_path / 'stack.db'}",
            config_file=config_file,
            log_dir=tmp_path / f"logs-{len(started)}",
            storage_dir=tmp_path / f"files-{len(started)}",
            **{"prefork": prefork, **kwargs},
        )
        started.append(stack)
        return stack.start()

    yield factory
    for stack in started:
        stack.stop()
    reports = (getattr(request.node, f"rep_{when}", None) for when in ("setup", "call"))
    if any(report is not None and report.failed for report in reports):
        for stack in started:
            for log in sorted((stack.log_dir or tmp_path).glob("*.log")):
                print(f"----- {log.name} -----")
                print(log.read_text(errors="replace")[-4000:])


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
async def client_factory() -> AsyncIterator[Callable[..., Any]]:
    from tests.support.client import ChainlitClient

    clients: list[ChainlitClient] = []

    def factory(url: str, **kwargs: Any) -> ChainlitClient:
        client = ChainlitClient(url, **kwargs)
        clients.append(client)
        return client

    yield factory
    for client in clients:
        await client.close()
