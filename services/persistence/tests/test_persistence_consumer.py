"""The stream consumer against real Redis and both database backends."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from persistence_support import (
    TEST_DATABASE_URL,
    TcpProxy,
    dead_letters,
    make_consumer,
    make_settings,
    new_id,
    pending_count,
    publish,
    running,
    step_upsert,
    thread_upsert,
    wait_for,
)
from prometheus_client import REGISTRY
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from switchboard.names import PERSIST_GROUP, RedisNames
from switchboard.schema import PersistEvent, ThreadDict
from switchboard.stack import free_port
from switchboard_persistence.db.engine import make_engine, migrate
from switchboard_persistence.repository import STEPS, Repository
from switchboard_persistence.settings import PersistenceSettings


def _applied(kind: str) -> float:
    return (
        REGISTRY.get_sample_value("switchboard_persistence_events_applied_total", {"type": kind})
        or 0.0
    )


async def _thread(repository: Repository, thread_id: str) -> ThreadDict | None:
    return await repository.get_thread(thread_id)


async def _step_rows(repository: Repository, thread_id: str) -> int:
    async with repository.engine.connect() as conn:
        count = await conn.scalar(
            select(func.count()).select_from(STEPS).where(STEPS.c.thread_id == thread_id)
        )
    return int(count or 0)


async def test_applies_a_conversation_in_order_and_acks(
    redis: aioredis.Redis, redis_prefix: str, repository: Repository
) -> None:
    names = RedisNames(redis_prefix)
    tid, user, run, answer = new_id(), new_id(), new_id(), new_id()
    applied_before = _applied("step_upsert")
    consumer = make_consumer(redis, repository, redis_prefix)
    async with running(consumer):
        await publish(
            redis,
            names.persist_stream,
            thread_upsert(tid, name="hello", user_identifier="alice"),
            step_upsert(tid, id=user, type="user_message", output="hello"),
            step_upsert(tid, id=run, type="run", parentId=user),
            step_upsert(tid, id=answer, type="assistant_message", parentId=run, output="he"),
            step_upsert(tid, id=answer, output="hello back", streaming=False),
            step_upsert(tid, id=run, input="hello"),
        )
        thread = await wait_for(
            lambda: _thread(repository, tid),
            # The last event applied (entries not yet read are not pending either).
            lambda t: t is not None and len(t.steps) == 3 and t.steps[1].input == "hello",
        )
        await wait_for(lambda: pending_count(redis, names.persist_stream), lambda n: n == 0)
    assert thread is not None
    assert [s.id for s in thread.steps] == [user, run, answer]
    assert thread.steps[2].output == "hello back"
    assert (thread.name, thread.userIdentifier) == ("hello", "alice")
    assert _applied("step_upsert") - applied_before == 5
    assert await dead_letters(redis, names.persist_dead) == []
    # Everything acknowledged is trimmed from the stream.
    await consumer.maintain()
    assert await redis.xlen(names.persist_stream) == 0


async def test_stop_ends_an_idle_wait_at_once_and_what_comes_later_is_still_applied(
    redis: aioredis.Redis, redis_prefix: str, repository: Repository
) -> None:
    """A shutdown does not sit out the blocking read (restarts and deploys stay fast)."""
    names = RedisNames(redis_prefix)
    consumer = make_consumer(redis, repository, redis_prefix, block_ms=30_000)
    task = asyncio.create_task(consumer.run())
    await asyncio.sleep(0.5)  # the consumer is now blocked on an empty stream
    started = asyncio.get_running_loop().time()
    consumer.stop()
    await asyncio.wait_for(task, timeout=5)
    assert asyncio.get_running_loop().time() - started < 1.0

    tid = new_id()
    await publish(redis, names.persist_stream, thread_upsert(tid, name="after the stop"))
    async with running(make_consumer(redis, repository, redis_prefix)):
        thread = await wait_for(lambda: _thread(repository, tid), lambda t: t is not None)
    assert thread is not None and thread.name == "after the stop"


async def test_redelivery_after_a_crash_changes_nothing(
    redis: aioredis.Redis, redis_prefix: str, repository: Repository
) -> None:
    """A consumer committed a batch and died before acking: the claimer applies it again."""
    names = RedisNames(redis_prefix)
    tid, a, b = new_id(), new_id(), new_id()
    events: list[PersistEvent] = [
        thread_upsert(tid, name="t", user_identifier="alice", metadata={"k": 1}),
        step_upsert(tid, id=a, type="user_message", output="q"),
        step_upsert(tid, id=b, type="assistant_message", output="a", parentId=a),
    ]
    consumer = make_consumer(redis, repository, redis_prefix, claim_idle_ms=50)
    await consumer.ensure_group()
    await publish(redis, names.persist_stream, *events)
    # The dead consumer read the entries and committed them, then never acked.
    await redis.xreadgroup(PERSIST_GROUP, "dead-consumer", {names.persist_stream: ">"})
    await repository.apply(events)
    before = await repository.get_thread(tid)
    # A producer retrying its write appends the same events once more.
    await publish(redis, names.persist_stream, *events)
    async with running(consumer):
        await wait_for(lambda: pending_count(redis, names.persist_stream), lambda n: n == 0)
        await wait_for(lambda: redis.xlen(names.persist_stream), lambda n: n == 0)
    assert await repository.get_thread(tid) == before
    assert await _step_rows(repository, tid) == 2
    consumers = await redis.xinfo_consumers(names.persist_stream, PERSIST_GROUP)
    assert {c["name"].decode(): c["pending"] for c in consumers}["dead-consumer"] == 0


async def test_malformed_entries_go_to_the_dead_letter_stream(
    redis: aioredis.Redis, redis_prefix: str, repository: Repository
) -> None:
    names = RedisNames(redis_prefix)
    tid, good = new_id(), new_id()
    no_step_id = step_upsert(tid, type="assistant_message", output="x").model_dump_json()
    ids = await publish(
        redis,
        names.persist_stream,
        "not json",
        json.dumps({"type": "step_upsert", "payload": {}}),
        no_step_id,
        step_upsert(tid, id=good, type="assistant_message", output="kept"),
    )
    await redis.xadd(names.persist_stream, {"other": "field"})
    consumer = make_consumer(redis, repository, redis_prefix)
    async with running(consumer):
        dead = await wait_for(
            lambda: dead_letters(redis, names.persist_dead), lambda d: len(d) == 4
        )
        await wait_for(lambda: pending_count(redis, names.persist_stream), lambda n: n == 0)
    assert [d["stream_id"] for d in dead[:3]] == ids[:3]
    assert [d["e"] for d in dead[:3]] == [
        "not json",
        json.dumps({"type": "step_upsert", "payload": {}}),
        no_step_id,
    ]
    assert all(d["reason"] == "invalid" and d["error"] for d in dead)
    assert "step id is missing" in dead[2]["error"]
    thread = await repository.get_thread(tid)
    assert thread is not None and [s.output for s in thread.steps] == ["kept"]


@pytest.fixture
async def poison(repository: Repository) -> AsyncIterator[str]:
    """A real database trigger that rejects steps whose output is the returned marker."""
    marker = f"poison-{uuid.uuid4().hex[:8]}"
    name = marker.replace("-", "_")
    if repository.engine.dialect.name == "postgresql":
        ddl = [
            f"""CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF NEW.output = '{marker}' THEN
                RAISE EXCEPTION 'poisoned' USING ERRCODE = '23514';
              END IF;
              RETURN NEW;
            END $$""",
            f"CREATE TRIGGER {name} BEFORE INSERT OR UPDATE ON steps "
            f"FOR EACH ROW EXECUTE FUNCTION {name}()",
        ]
        drop = [f"DROP TRIGGER {name} ON steps", f"DROP FUNCTION {name}()"]
    else:
        ddl = [
            f"CREATE TRIGGER {name} BEFORE INSERT ON steps WHEN NEW.output = '{marker}' "
            "BEGIN SELECT RAISE(ABORT, 'poisoned'); END"
        ]
        drop = [f"DROP TRIGGER {name}"]
    async with repository.engine.begin() as conn:
        for statement in ddl:
            await conn.exec_driver_sql(statement)
    yield marker
    async with repository.engine.begin() as conn:
        for statement in drop:
            await conn.exec_driver_sql(statement)


async def test_an_entry_that_keeps_failing_is_dead_lettered(
    redis: aioredis.Redis, redis_prefix: str, repository: Repository, poison: str
) -> None:
    names = RedisNames(redis_prefix)
    tid, before, bad, after = new_id(), new_id(), new_id(), new_id()
    ids = await publish(
        redis,
        names.persist_stream,
        thread_upsert(tid, name="t"),
        step_upsert(tid, id=before, output="before"),
        step_upsert(tid, id=bad, output=poison),
        step_upsert(tid, id=after, output="after"),
    )
    consumer = make_consumer(redis, repository, redis_prefix, max_deliveries=3)
    async with running(consumer):
        dead = await wait_for(
            lambda: dead_letters(redis, names.persist_dead), lambda d: len(d) == 1
        )
        await wait_for(lambda: pending_count(redis, names.persist_stream), lambda n: n == 0)
    assert dead[0]["stream_id"] == ids[2]
    assert dead[0]["reason"] == "failed"
    assert "poisoned" in dead[0]["error"]
    thread = await repository.get_thread(tid)
    # The rest of the batch is stored, in order, without the poison entry.
    assert thread is not None and [s.id for s in thread.steps] == [before, after]


async def test_stalled_entries_of_a_dead_consumer_are_taken_over(
    redis: aioredis.Redis, redis_prefix: str, repository: Repository
) -> None:
    names = RedisNames(redis_prefix)
    tid, fine, crashy = new_id(), new_id(), new_id()
    consumer = make_consumer(redis, repository, redis_prefix, claim_idle_ms=50, max_deliveries=3)
    await consumer.ensure_group()
    stream = names.persist_stream
    ids = await publish(redis, stream, step_upsert(tid, id=crashy, output="crashes consumers"))
    # Consumers died on this entry again and again: it is delivered 4 times, never acked.
    await redis.xreadgroup(PERSIST_GROUP, "crashed", {stream: ">"})
    for _ in range(3):
        await redis.xreadgroup(PERSIST_GROUP, "crashed", {stream: "0"})
    await publish(redis, stream, step_upsert(tid, id=fine, output="fine"))
    await redis.xreadgroup(PERSIST_GROUP, "dead-consumer", {stream: ">"})
    async with running(consumer):
        await wait_for(
            lambda: _thread(repository, tid), lambda t: t is not None and len(t.steps) == 1
        )
        dead = await wait_for(
            lambda: dead_letters(redis, names.persist_dead), lambda d: len(d) == 1
        )
        await wait_for(lambda: pending_count(redis, stream), lambda n: n == 0)
    assert (dead[0]["stream_id"], dead[0]["reason"]) == (ids[0], "deliveries")
    thread = await repository.get_thread(tid)
    assert thread is not None and [s.id for s in thread.steps] == [fine]


def _postgres_behind_proxy(settings: PersistenceSettings, port: int) -> tuple[str, TcpProxy]:
    """The test database reached through a proxy that is not listening yet."""
    real = make_url(settings.database_url)
    upstream = make_url(TEST_DATABASE_URL.replace("postgresql://", "postgresql+asyncpg://"))
    proxy = TcpProxy(port, upstream.host or "127.0.0.1", upstream.port or 5432)
    url = real.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
    return url, proxy


async def test_a_database_outage_is_waited_out(
    redis: aioredis.Redis,
    redis_prefix: str,
    repository: Repository,
    settings: PersistenceSettings,
    tmp_path: Path,
) -> None:
    """The database is unreachable when the batch arrives; it lands once the database is back."""
    names = RedisNames(redis_prefix)
    proxy: TcpProxy | None = None
    if repository.engine.dialect.name == "postgresql":
        url, proxy = _postgres_behind_proxy(settings, free_port())

        async def restore() -> None:
            assert proxy is not None
            await proxy.start()
    else:
        # The database's folder does not exist yet: SQLite cannot open it.
        path = tmp_path / "later" / "persistence.db"
        url = f"sqlite+aiosqlite:///{path}"

        async def restore() -> None:
            path.parent.mkdir()
            await migrate(url)

    away = settings.model_copy(update={"database_url": url})
    engine = make_engine(away)
    outage_repository = Repository(engine)
    tid, sid = new_id(), new_id()
    consumer = make_consumer(redis, outage_repository, redis_prefix)
    try:
        async with running(consumer):
            await publish(
                redis,
                names.persist_stream,
                thread_upsert(tid, name="during outage", user_identifier="alice"),
                step_upsert(tid, id=sid, type="user_message", output="still here"),
            )
            await wait_for(lambda: pending_count(redis, names.persist_stream), lambda n: n == 2)
            # Retried (and failing) a few times while the database is away.
            failures = await _failures("database")
            await wait_for(lambda: _failures("database"), lambda n: n >= failures + 3)
            assert await pending_count(redis, names.persist_stream) == 2
            await restore()
            thread = await wait_for(
                lambda: outage_repository.get_thread(tid),
                lambda t: t is not None and len(t.steps) == 1,
            )
            await wait_for(lambda: pending_count(redis, names.persist_stream), lambda n: n == 0)
    finally:
        await engine.dispose()
        if proxy is not None:
            await proxy.close()
    assert thread is not None
    assert (thread.name, thread.steps[0].output) == ("during outage", "still here")
    assert await dead_letters(redis, names.persist_dead) == []


async def _failures(kind: str) -> float:
    return (
        REGISTRY.get_sample_value("switchboard_persistence_consumer_failures_total", {"kind": kind})
        or 0.0
    )


def test_settings_normalise_database_urls(tmp_path: Path) -> None:
    pg = make_settings(database_url="postgres://u:p@db:5432/sb?sslmode=require")
    assert pg.database_url == "postgresql+asyncpg://u:p@db:5432/sb?ssl=require"
    lite = make_settings(database_url=f"sqlite:///{tmp_path / 'a' / 'b.db'}")
    assert lite.database_url.startswith("sqlite+aiosqlite:///")
    assert (tmp_path / "a").is_dir()
