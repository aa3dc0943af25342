"""App mode with Switchboard's ``SQLAlchemyDataLayer`` on PostgreSQL: batched step writes.

The store writes the steps of a batch in one transaction instead of one data-layer call
each (``stores/sql_layer_steps.py``). These tests write the same events both ways, into
two databases, and require the same rows; and they pin what the batching keeps: the
order within a thread, the outage/complaint split, and who opts out.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

import asyncpg
import pytest
import redis.asyncio as aioredis
from persistence_support import (
    CreateDatabase,
    asyncpg_dsn,
    chainlit_database,
    dead_letters,
    make_consumer,
    new_id,
    publish,
    running,
    step_delete,
    step_upsert,
    thread_upsert,
    wait_for,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from switchboard.data.sql_alchemy import SQLAlchemyDataLayer
from switchboard.names import RedisNames
from switchboard.schema import PersistEvent
from switchboard.sdk.dicts import StepDict
from switchboard_persistence.consumer import is_outage
from switchboard_persistence.stores.app_layer import AppDataLayerStore


class OneCallPerStep(SQLAlchemyDataLayer):
    """An app's subclass that touches step writes: the store must call it for each."""

    async def create_step(self, step_dict: StepDict) -> None:
        await super().create_step(step_dict)


@pytest.fixture
async def stores(
    postgres_databases: CreateDatabase, postgres_url: str
) -> AsyncIterator[tuple[AppDataLayerStore, AppDataLayerStore]]:
    """(batched, one call per step), each on a database of Chainlit's tables of its own."""
    files = create_async_engine(postgres_url)
    batched = AppDataLayerStore(
        SQLAlchemyDataLayer(await chainlit_database(postgres_databases)), files
    )
    calls = AppDataLayerStore(OneCallPerStep(await chainlit_database(postgres_databases)), files)
    assert batched.writer.steps is not None and calls.writer.steps is None
    yield batched, calls
    await batched.close()
    await calls.close()
    await files.dispose()


async def _rows(store: AppDataLayerStore, sql: str) -> list[dict[str, Any]]:
    assert isinstance(store.layer, SQLAlchemyDataLayer)
    conn = await asyncpg.connect(asyncpg_dsn(store.layer.engine.url.render_as_string(False)))
    try:
        return [dict(r) for r in await conn.fetch(sql)]
    finally:
        await conn.close()


async def _snapshot(store: AppDataLayerStore) -> dict[str, list[dict[str, Any]]]:
    # Thread creation times are the data layer's clock: only whether one is set compares.
    return {
        "steps": await _rows(store, "SELECT * FROM steps ORDER BY id"),
        "threads": await _rows(
            store,
            'SELECT id, name, "userIdentifier", tags, metadata, "createdAt" IS NOT NULL AS dated '
            "FROM threads ORDER BY id",
        ),
        "users": await _rows(store, "SELECT identifier, metadata FROM users ORDER BY identifier"),
    }


def _tool(thread_id: str, step_id: str, **fields: Any) -> PersistEvent:
    base: dict[str, Any] = {
        "id": step_id,
        "name": "tool",
        "type": "tool",
        "parentId": None,
        "streaming": False,
        "createdAt": "2026-01-01T00:00:00.000000Z",
        "start": "2026-01-01T00:00:00.000000Z",
    }
    return step_upsert(thread_id, **{**base, **fields})


def _batches(one: str, two: str) -> list[list[PersistEvent]]:
    run, tool, answer, loose, gone, moved, late = (new_id() for _ in range(7))
    return [
        [
            thread_upsert(one, name="first", user_identifier="ada", metadata={"k": 1}),
            _tool(one, run, type="run", name="on_message", input="", output=""),
            _tool(one, tool, input="", output="", metadata={"a": 1}, showInput="json"),
            _tool(one, tool, input="x", output="x done", end="2026-01-01T00:00:01.000000Z"),
            # The second thread's steps arrive before its thread upsert (a missing thread).
            _tool(two, loose, output="early", tags=["t"], showInput=True),
            _tool(one, answer, type="assistant_message", output="he", streaming=True),
            # Fewer fields than the write before it: both writes reach the data layer.
            _tool(one, answer, output="hello"),
            _tool(one, run, type="run", name="on_message", end="2026-01-01T00:00:02.000000Z"),
            _tool(two, gone, output="soon gone"),
            step_delete(two, gone),
            _tool(two, gone, output="back again", createdAt="2026-01-01T00:00:05.000000Z"),
            thread_upsert(two, name="second", user_identifier="bob"),
            # New steps written twice in one batch: the first write's createdAt (or none) stays.
            _tool(two, moved, output="1"),
            _tool(two, late, createdAt=None, output="1"),
            _tool(two, moved, createdAt="2026-03-03T00:00:00.000000Z", output="2"),
            _tool(two, late, output="2"),
        ],
        [
            # An existing step under another createdAt, and the same id spelled in capitals.
            _tool(one, tool, createdAt="2026-02-02T00:00:00.000000Z", output="again"),
            _tool(one, tool.upper(), isError=True, output="caps"),
            _tool(two, loose, metadata={}, output="later", showInput=None),
            thread_upsert(one, metadata={"k": None, "j": 2}),
            _tool(one, new_id(), createdAt=None, output="no time"),
        ],
    ]


async def test_batched_step_writes_leave_the_rows_one_call_per_step_leaves(
    stores: tuple[AppDataLayerStore, AppDataLayerStore],
) -> None:
    batched, calls = stores
    one, two = new_id(), new_id()
    for batch in _batches(one, two):
        await batched.apply(batch)
        await calls.apply(batch)
    got, expected = await _snapshot(batched), await _snapshot(calls)
    assert got == expected
    assert len(got["steps"]) == 8 and len(got["threads"]) == 2
    outputs = {str(s["id"]): s["output"] for s in got["steps"]}
    assert "back again" in outputs.values() and "soon gone" not in outputs.values()


async def test_a_redelivered_batch_changes_nothing(
    stores: tuple[AppDataLayerStore, AppDataLayerStore],
) -> None:
    batched, _ = stores
    one, two = new_id(), new_id()
    batches = _batches(one, two)
    for batch in batches:
        await batched.apply(batch)
    before = await _snapshot(batched)
    await batched.apply([e for batch in batches for e in batch][-5:])
    assert await _snapshot(batched) == before


async def _apply_all(store: AppDataLayerStore, batches: Sequence[Sequence[PersistEvent]]) -> None:
    for batch in batches:
        await store.apply(batch)


async def test_a_broken_database_is_an_outage_and_a_bad_id_is_a_bad_entry(
    stores: tuple[AppDataLayerStore, AppDataLayerStore],
) -> None:
    batched, calls = stores
    thread_id = new_id()
    # Not a uuid: PostgreSQL refuses it, as it refuses the data layer's own call. That is
    # the entry's fault, not an outage: the consumer retries it, then dead-letters it,
    # rather than holding up every entry behind it for ever.
    for store in (batched, calls):
        with pytest.raises(DBAPIError) as refused:
            await store.apply([_tool(thread_id, "not-a-uuid", output="x")])
        assert not is_outage(refused.value)
    assert isinstance(batched.layer, SQLAlchemyDataLayer)
    await batched.layer.engine.dispose()
    # The table is gone: every lane of the batch fails with it, none is acknowledged.
    await _rows(batched, "ALTER TABLE steps RENAME TO steps_away")
    with pytest.raises(DBAPIError) as gone:
        await batched.apply([_tool(new_id(), str(uuid.uuid4()), output=str(n)) for n in range(3)])
    assert is_outage(gone.value)
    await _rows(batched, "ALTER TABLE steps_away RENAME TO steps")
    await _apply_all(batched, [[_tool(thread_id, str(uuid.uuid4()), output="after")]])
    assert [r["output"] for r in await _rows(batched, "SELECT output FROM steps")] == ["after"]


@pytest.mark.parametrize("path", ["batched", "one call per step"])
async def test_the_consumer_dead_letters_a_bad_id_and_stores_what_follows(
    stores: tuple[AppDataLayerStore, AppDataLayerStore],
    redis: aioredis.Redis,
    redis_prefix: str,
    path: str,
) -> None:
    """A refused value does not hold up the stream: it is set aside, the rest lands."""
    store = stores[0] if path == "batched" else stores[1]
    names = RedisNames(redis_prefix)
    thread_id, good = new_id(), str(uuid.uuid4())
    await publish(
        redis,
        names.persist_stream,
        _tool(thread_id, "not-a-uuid", output="refused"),
        _tool(thread_id, good, output="kept"),
    )
    async with running(make_consumer(redis, store, redis_prefix, max_deliveries=2)):
        dead = await wait_for(
            lambda: dead_letters(redis, names.persist_dead), lambda d: len(d) >= 1
        )
        rows = await wait_for(
            lambda: _rows(store, "SELECT id::text AS id, output FROM steps"),
            lambda r: any(row["id"] == good for row in r),
        )
    assert len(dead) == 1 and "not-a-uuid" in dead[0]["e"]
    assert [row["output"] for row in rows if row["id"] == good] == ["kept"]
