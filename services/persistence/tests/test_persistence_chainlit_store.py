"""Chainlit-schema storage mode, at the store: write rules and owner checks on real PostgreSQL.

The end-to-end tests (tests/compat/test_chainlit_database.py) use Chainlit's own data
layer; these pin the rules a Chainlit database gets from Switchboard's writes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from persistence_support import (
    CreateDatabase,
    asyncpg_dsn,
    chainlit_database,
    element_upsert,
    new_id,
    step_delete,
    step_upsert,
    thread_upsert,
)
from sqlalchemy.ext.asyncio import create_async_engine

from switchboard.schema.history import FeedbackIn, ThreadListRequest
from switchboard_persistence.errors import InvalidEvent
from switchboard_persistence.stores.chainlit import ChainlitSchemaMissing, ChainlitStore


@pytest.fixture
async def store(
    postgres_databases: CreateDatabase, postgres_url: str
) -> AsyncIterator[ChainlitStore]:
    """Chainlit's tables in a database of their own; uploads in Switchboard's (migrated)."""
    url = await chainlit_database(postgres_databases)
    engine, own = create_async_engine(url), create_async_engine(postgres_url)
    yield await ChainlitStore.open(engine, own, None)
    await engine.dispose()
    await own.dispose()


async def _rows(store: ChainlitStore, sql: str, *args: Any) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(asyncpg_dsn(store.engine.url.render_as_string(False)))
    try:
        return [dict(r) for r in await conn.fetch(sql, *args)]
    finally:
        await conn.close()


async def test_an_empty_database_is_refused_naming_the_missing_tables(
    postgres_databases: CreateDatabase,
) -> None:
    engine = create_async_engine(await postgres_databases())
    try:
        with pytest.raises(ChainlitSchemaMissing, match="lacks users, threads, steps"):
            await ChainlitStore.open(engine, engine, None)
    finally:
        await engine.dispose()


async def test_step_writes_follow_chainlits_rules_within_their_thread(
    store: ChainlitStore,
) -> None:
    mine, other, step = new_id(), new_id(), new_id()
    at = "2026-01-01T00:00:00.000000Z"
    await store.apply(
        [
            thread_upsert(mine, name="mine", user_identifier="alice"),
            step_upsert(mine, id=step, name="tool", type="tool", output="found", createdAt=at),
            # Later writes: a generic type, empty text and a later time change none of those.
            step_upsert(mine, id=step, type="run", output="", createdAt="2027-01-01T00:00:00Z"),
            step_upsert(mine, id=step, input="asked", showInput=True, isError=False),
            # The same id in another thread never touches this thread's row.
            thread_upsert(other, user_identifier="bob"),
            step_upsert(other, id=step, name="stolen", output="overwritten"),
        ]
    )
    (row,) = await _rows(store, "SELECT * FROM steps WHERE id = $1::uuid", step)
    assert str(row["threadId"]) == mine
    assert (row["name"], row["type"], row["output"]) == ("tool", "tool", "found")
    assert (row["input"], row["showInput"], row["createdAt"]) == ("asked", "true", at)
    assert row["streaming"] is False  # NOT NULL in Chainlit's schema, never given here

    users = await _rows(store, "SELECT id::text, identifier FROM users ORDER BY identifier")
    assert [u["identifier"] for u in users] == ["alice", "bob"]
    (thread,) = await _rows(
        store,
        'SELECT "userId"::text AS uid, "userIdentifier" FROM threads WHERE id = $1::uuid',
        mine,
    )
    assert thread == {"uid": users[0]["id"], "userIdentifier": "alice"}

    # A thread never changes hands.
    await store.apply([thread_upsert(mine, user_identifier="bob", name="taken")])
    opened = await store.get_thread(mine)
    assert opened is not None and opened.userIdentifier == "alice" and opened.name == "mine"
    assert [s.showInput for s in opened.steps] == [True]


async def test_ids_that_are_not_uuids_are_refused_and_deletes_stay_in_their_thread(
    store: ChainlitStore,
) -> None:
    thread, parent, child, element = new_id(), new_id(), new_id(), new_id()
    with pytest.raises(InvalidEvent, match="not a uuid"):
        await store.apply([step_upsert(thread, id="my-own-step", name="x", type="tool")])
    await store.apply(
        [
            thread_upsert(thread, user_identifier="alice"),
            step_upsert(thread, id=parent, name="run", type="run"),
            step_upsert(thread, id=child, parentId=parent, name="tool", type="tool"),
            element_upsert(thread, id=element, forId=child, url="https://example.test/a.png"),
            step_delete(new_id(), parent),  # another thread: nothing happens
            step_delete(thread, "not-a-uuid"),  # nothing this schema can hold
        ]
    )
    saved = await store.upsert_feedback("alice", FeedbackIn(forId=child, value=1))
    assert saved is not None and saved.threadId == thread
    assert await store.upsert_feedback("bob", FeedbackIn(forId=child, value=0)) is None
    opened = await store.get_thread(thread)
    assert opened is not None and len(opened.steps) == 2 and len(opened.elements) == 1
    assert opened.elements[0].url == "https://example.test/a.png"

    await store.apply([step_delete(thread, parent)])
    opened = await store.get_thread(thread)
    assert opened is not None and opened.steps == [] and opened.elements == []
    assert await _rows(store, "SELECT id FROM feedbacks") == []


async def test_owner_checks(store: ChainlitStore) -> None:
    thread, step = new_id(), new_id()
    await store.apply(
        [
            thread_upsert(thread, name="alice's", user_identifier="alice"),
            step_upsert(thread, id=step, name="u", type="user_message", output="secret plans"),
        ]
    )
    owner = await store.thread_owner(thread)
    assert owner is not None and owner.identifier == "alice"
    assert await store.thread_owner(new_id()) is None
    for caller in ("bob", None):
        assert not await store.rename(thread, caller, "x")
        assert not await store.share(thread, caller, True)
        assert not await store.delete(thread, caller)
        assert not await store.thread_usable(thread, caller)
    assert await store.thread_usable(new_id(), "bob")  # not stored yet: anyone's first write
    found = await store.list_threads(
        "alice", ThreadListRequest.model_validate({"filter": {"search": "PLANS"}})
    )
    assert [t.id for t in found.data] == [thread]
    assert (await store.list_threads("bob", ThreadListRequest())).data == []
    assert await store.delete(thread, "alice")
    assert await store.get_thread(thread) is None
