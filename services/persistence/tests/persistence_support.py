"""Helpers shared by the persistence tests (imported by name: this folder is on sys.path)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import redis.asyncio as aioredis
from sqlalchemy.engine import make_url

from switchboard.internal_auth import mint_service_token
from switchboard.names import PERSIST_GROUP, RedisNames
from switchboard.schema import (
    ElementDict,
    Envelope,
    StepDelete,
    StepDict,
    StepUpsert,
    ThreadUpsert,
    ThreadUpsertPayload,
    UserRef,
)
from switchboard.schema.persist import (
    ElementDelete,
    ElementDeletePayload,
    ElementUpsert,
    StepDeletePayload,
)
from switchboard_persistence.consumer import ConsumerOptions, PersistConsumer
from switchboard_persistence.repository import Repository
from switchboard_persistence.settings import PersistenceSettings, normalise_database_url
from switchboard_persistence.stores.chainlit_schema import CHAINLIT_SCHEMA
from tests.support.waiting import DEADLINE_S, eventually

T = TypeVar("T")

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
SECRET = "persistence-test-secret-" + "x" * 32

# The ``postgres_databases`` fixture: makes a fresh database and returns its URL.
CreateDatabase = Callable[[], Awaitable[str]]


def make_settings(**overrides: Any) -> PersistenceSettings:
    values: dict[str, Any] = {
        "service_secret": SECRET,
        "consumer_name": f"test-{uuid.uuid4().hex[:8]}",
        "log_json": False,
        **overrides,
    }
    return PersistenceSettings(**values)


def s3_overrides(endpoint: str, spool_dir: Path) -> dict[str, Any]:
    """Settings for a fresh bucket on the test S3 server, spooling into ``spool_dir``."""
    return {
        "storage_backend": "s3",
        "storage_spool_dir": spool_dir,
        "s3_endpoint": endpoint,
        "s3_bucket": f"sbtest-{uuid.uuid4().hex[:12]}",
        "s3_access_key": "testing",
        "s3_secret_key": "testing",
        "s3_region": "us-east-1",
        "s3_secure": False,
    }


def with_overrides(settings: PersistenceSettings, **overrides: Any) -> PersistenceSettings:
    """The same settings with some values changed, validated again (model_copy would not)."""
    return PersistenceSettings.model_validate({**settings.model_dump(), **overrides})


def asyncpg_dsn(url: str) -> str:
    """A plain libpq URL for asyncpg from any of the spellings we accept."""
    return normalise_database_url(url).replace("postgresql+asyncpg://", "postgresql://", 1)


async def chainlit_database(create: CreateDatabase) -> str:
    """A new database holding Chainlit's tables, empty, as its SQLAlchemy layer makes them."""
    url = await create()
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute(CHAINLIT_SCHEMA)
    finally:
        await conn.close()
    return url


def database_named(url: str, name: str) -> str:
    """The same server as ``url``, another database."""
    return (
        make_url(normalise_database_url(url))
        .set(database=name)
        .render_as_string(hide_password=False)
    )


def new_id() -> str:
    return str(uuid.uuid4())


def thread_upsert(thread_id: str, session_id: str = "session-1", **payload: Any) -> ThreadUpsert:
    return ThreadUpsert(
        session_id=session_id, thread_id=thread_id, payload=ThreadUpsertPayload(**payload)
    )


def step_upsert(thread_id: str, session_id: str = "session-1", **step: Any) -> StepUpsert:
    step.setdefault("threadId", thread_id)
    return StepUpsert(session_id=session_id, thread_id=thread_id, payload=StepDict(**step))


def step_delete(thread_id: str, step_id: str, session_id: str = "session-1") -> StepDelete:
    return StepDelete(
        session_id=session_id, thread_id=thread_id, payload=StepDeletePayload(id=step_id)
    )


def element_upsert(thread_id: str, session_id: str = "session-1", **element: Any) -> ElementUpsert:
    element.setdefault("threadId", thread_id)
    element.setdefault("type", "file")
    element.setdefault("name", "a file")
    return ElementUpsert(session_id=session_id, thread_id=thread_id, payload=ElementDict(**element))


def element_delete(thread_id: str, element_id: str, session_id: str = "session-1") -> ElementDelete:
    return ElementDelete(
        session_id=session_id, thread_id=thread_id, payload=ElementDeletePayload(id=element_id)
    )


def auth(
    user: UserRef | None, *, secret: str = SECRET, audience: str = "persistence"
) -> dict[str, str]:
    """The header a calling service sends, vouching for ``user`` (or nobody)."""
    token = mint_service_token(secret, service="gateway", audience=audience, user=user)
    return {"Authorization": f"Bearer {token}"}


async def publish(redis: aioredis.Redis, stream: str, *events: Envelope | str) -> list[str]:
    """Append events (or raw strings) to the persistence stream as producers do."""
    ids: list[str] = []
    for event in events:
        raw = event if isinstance(event, str) else event.model_dump_json()
        stream_id = await redis.xadd(stream, {"e": raw})
        ids.append(stream_id.decode() if isinstance(stream_id, bytes) else str(stream_id))
    return ids


async def pending_count(redis: aioredis.Redis, stream: str) -> int:
    summary = await redis.xpending(stream, PERSIST_GROUP)
    return int(summary["pending"])


async def dead_letters(redis: aioredis.Redis, stream: str) -> list[dict[str, str]]:
    entries = await redis.xrange(stream)
    return [{k.decode(): v.decode() for k, v in fields.items()} for _id, fields in entries]


async def wait_for(
    probe: Callable[[], Awaitable[T]],
    accept: Callable[[T], bool],
    timeout: float = DEADLINE_S,
    interval: float = 0.05,
) -> T:
    """Poll ``probe`` until ``accept`` holds for its value, and return that value."""

    async def check() -> tuple[T] | _Rejected:
        value = await probe()
        return (value,) if accept(value) else _Rejected(value)

    accepted = await eventually(check, "condition", timeout=timeout, interval=interval)
    assert isinstance(accepted, tuple)
    return accepted[0]


class _Rejected:
    """A probed value ``accept`` refused: falsy, and shown as itself when time runs out."""

    def __init__(self, value: object) -> None:
        self.value = value

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return repr(self.value)


class TcpProxy:
    """Forwards a local port to a real server; closing it makes the server unreachable."""

    def __init__(self, port: int, upstream_host: str, upstream_port: int) -> None:
        self.port = port
        self.upstream = (upstream_host, upstream_port)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.close()
            return
        self._writers.update({writer, up_writer})
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pipe(source, sink))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            with contextlib.suppress(OSError, RuntimeError):
                sink.close()
            self._writers.discard(sink)


def fast_options(**overrides: Any) -> ConsumerOptions:
    """Consumer options with short waits, so retries happen within a test's patience."""
    values: dict[str, Any] = {
        "consumer_name": f"test-{uuid.uuid4().hex[:8]}",
        "batch_size": 50,
        "claim_idle_ms": 60_000,
        "max_deliveries": 5,
        "block_ms": 100,
        "backoff_initial": 0.02,
        "backoff_max": 0.2,
        "maintenance_interval": 0.1,
        **overrides,
    }
    return ConsumerOptions(**values)


def make_consumer(
    redis: aioredis.Redis, repository: Repository, prefix: str, **options: Any
) -> PersistConsumer:
    return PersistConsumer(redis, repository, RedisNames(prefix), fast_options(**options))


@contextlib.asynccontextmanager
async def running(consumer: PersistConsumer) -> AsyncIterator[asyncio.Task[None]]:
    """Run the consumer loop for the block; it must stop cleanly (or the test fails)."""
    task = asyncio.create_task(consumer.run())
    try:
        yield task
    finally:
        consumer.stop()
        await asyncio.wait_for(task, timeout=15)
