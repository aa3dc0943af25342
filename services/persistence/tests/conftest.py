"""Fixtures for the persistence service: real Redis, real PostgreSQL, SQLite files.

A service that cannot be reached makes the test fail, never skip.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import redis.asyncio as aioredis
from alembic import command
from fastapi import FastAPI
from persistence_support import (
    TEST_DATABASE_URL,
    TEST_REDIS_URL,
    CreateDatabase,
    asyncpg_dsn,
    database_named,
    make_settings,
    s3_overrides,
)
from storage_servers import azure_overrides, gcs_overrides

from switchboard.stack import free_port
from switchboard_persistence.app import create_app
from switchboard_persistence.db.engine import alembic_config, make_engine, migrate
from switchboard_persistence.repository import Repository
from switchboard_persistence.settings import PersistenceSettings
from switchboard_persistence.storage import ObjectStorage, make_storage
from tests.support.azurite import start_azurite
from tests.support.emulators import stop_process
from tests.support.gcs import gcs_url, start_fake_gcs
from tests.support.s3 import start_moto, stop_moto

BACKENDS = ["sqlite", "postgres"]


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(TEST_DATABASE_URL), timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
async def postgres_databases() -> AsyncIterator[CreateDatabase]:
    """Creates fresh, uniquely named databases on the test server; all dropped at the end."""
    try:
        await _admin("SELECT 1")
    except Exception as exc:
        pytest.fail(f"PostgreSQL at {TEST_DATABASE_URL} is unreachable: {exc!r}")
    created: list[str] = []

    async def create() -> str:
        name = f"sbpersist_{uuid.uuid4().hex[:12]}"
        await _admin(f'CREATE DATABASE "{name}"')
        created.append(name)
        return database_named(TEST_DATABASE_URL, name)

    yield create
    for name in created:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
async def postgres_url(postgres_databases: CreateDatabase) -> str:
    """One migrated database for the whole session; tests isolate by their own ids."""
    url = await postgres_databases()
    await migrate(url)
    return url


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database of each backend (sync, so it may resolve the async Postgres one)."""
    if request.param == "postgres":
        url: str = request.getfixturevalue("postgres_url")
        return url
    url = f"sqlite+aiosqlite:///{tmp_path / 'persistence.db'}"
    command.upgrade(alembic_config(url), "head")
    return url


@pytest.fixture(scope="session")
async def redis_url() -> str:
    client = aioredis.Redis.from_url(TEST_REDIS_URL)
    try:
        await client.ping()
    except Exception as exc:
        pytest.fail(f"Redis at {TEST_REDIS_URL} is unreachable: {exc!r}")
    finally:
        await client.aclose()
    return TEST_REDIS_URL


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def redis_prefix(redis: aioredis.Redis) -> AsyncIterator[str]:
    """A key prefix no other test uses; its keys are deleted afterwards."""
    prefix = f"sbtest-{uuid.uuid4().hex[:10]}"
    yield prefix
    keys = [key async for key in redis.scan_iter(match=f"{prefix}:*", count=1000)]
    if keys:
        await redis.delete(*keys)


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real S3-compatible server (moto) in a subprocess; it must start, or the tests fail."""
    port = free_port()
    try:
        server = start_moto(port, tmp_path_factory.mktemp("moto") / "moto.log")
    except AssertionError as exc:
        pytest.fail(str(exc))
    try:
        yield f"127.0.0.1:{port}"
    finally:
        stop_moto(server)


@pytest.fixture(scope="session")
def gcs_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real GCS emulator (fake-gcs-server) in a subprocess; it must start, or the tests fail."""
    port = free_port()
    try:
        server = start_fake_gcs(port, tmp_path_factory.mktemp("gcs") / "gcs.log")
    except Exception as exc:
        pytest.fail(f"the GCS emulator did not start: {exc!r}")
    try:
        yield gcs_url(port)
    finally:
        stop_process(server)


@pytest.fixture(scope="session")
def azurite_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A real Azure Blob emulator (Azurite) in a subprocess; it must start, or the tests fail."""
    port = free_port()
    workdir = tmp_path_factory.mktemp("azurite")
    try:
        server = start_azurite(port, workdir, workdir / "azurite.log")
    except Exception as exc:
        pytest.fail(f"Azurite did not start: {exc!r}")
    try:
        yield port
    finally:
        stop_process(server)


@pytest.fixture(params=["local", "s3", "gcs", "azure"])
def storage_overrides(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    """Storage settings of each backend: a folder of its own, or a bucket of its own."""
    spool = tmp_path / "spool"
    if request.param == "local":
        return {"storage_backend": "local", "storage_dir": tmp_path / "objects"}
    if request.param == "gcs":
        return gcs_overrides(request.getfixturevalue("gcs_endpoint"), spool)
    if request.param == "azure":
        return azure_overrides(request.getfixturevalue("azurite_port"), spool)
    return s3_overrides(request.getfixturevalue("moto_endpoint"), spool)


@pytest.fixture
async def storage(storage_overrides: dict[str, Any]) -> AsyncIterator[ObjectStorage]:
    store = make_storage(make_settings(**storage_overrides))
    await store.start()
    yield store
    await store.close()


@pytest.fixture
def settings(
    database_url: str, redis_url: str, redis_prefix: str, tmp_path: Path
) -> PersistenceSettings:
    return make_settings(
        database_url=database_url,
        redis_url=redis_url,
        redis_prefix=redis_prefix,
        storage_backend="local",
        storage_dir=tmp_path / "objects",
    )


@pytest.fixture
async def app(settings: PersistenceSettings) -> AsyncIterator[FastAPI]:
    """The service with its lifespan running (consumer included)."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://persistence") as http:
        yield http


@pytest.fixture
async def repository(settings: PersistenceSettings) -> AsyncIterator[Repository]:
    engine = make_engine(settings)
    yield Repository(engine)
    await engine.dispose()
