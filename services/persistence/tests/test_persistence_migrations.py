"""The Alembic migrations build the schema the models describe, on both backends."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from persistence_support import CreateDatabase, make_settings
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from switchboard_persistence.db.engine import VERSION_TABLE, alembic_config, make_engine, migrate
from switchboard_persistence.db.models import Base

TABLES = {"threads", "steps", "elements", "feedbacks", "files", VERSION_TABLE}


def _inspect(connection: Connection) -> tuple[set[str], str | None, list[object]]:
    inspector = inspect(connection)
    tables = set(inspector.get_table_names())
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    diff = compare_metadata(context, Base.metadata)
    # compare_metadata leaves primary keys out: they are what keeps threads apart.
    for table in Base.metadata.sorted_tables:
        stored = inspector.get_pk_constraint(table.name)["constrained_columns"]
        modelled = [column.name for column in table.primary_key]
        if stored != modelled:
            diff.append(("primary key", table.name, stored, modelled))
    return tables, context.get_current_revision(), diff


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_migrations_apply_and_match_the_models(
    backend: str, tmp_path: Path, postgres_databases: CreateDatabase
) -> None:
    if backend == "sqlite":
        # A folder that does not exist yet: the embedded default must work from scratch.
        url = f"sqlite:///{tmp_path / 'fresh' / 'switchboard.db'}"
    else:
        url = await postgres_databases()
    settings = make_settings(database_url=url)
    await migrate(url)
    await migrate(url)  # idempotent

    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    engine = make_engine(settings)
    try:
        async with engine.connect() as conn:
            tables, revision, diff = await conn.run_sync(_inspect)
    finally:
        await engine.dispose()
    assert tables >= TABLES
    assert revision == head == "0004_thread_scoped_ids"
    assert diff == [], f"models and migrations differ: {diff}"


async def _migrate_to(url: str, revision: str, *, down: bool = False) -> None:
    step = command.downgrade if down else command.upgrade
    await asyncio.to_thread(step, alembic_config(url), revision)


async def _rows(engine: AsyncEngine, sql: str) -> set[tuple[Any, ...]]:
    async with engine.connect() as conn:
        return {tuple(row) for row in await conn.execute(text(sql))}


_NOW = datetime(2026, 1, 1, tzinfo=UTC)


async def _insert(engine: AsyncEngine, table: str, **values: Any) -> None:
    columns = ", ".join(f'"{key}"' for key in values)
    params = ", ".join(f":{key}" for key in values)
    async with engine.begin() as conn:
        await conn.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({params})"), values)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_thread_scoped_ids_migrate_up_and_down_with_rows(
    backend: str, tmp_path: Path, postgres_databases: CreateDatabase
) -> None:
    """Rows survive the move to per-thread ids; going back keeps the first holder of an id."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'switchboard.db'}"
    else:
        url = await postgres_databases()
    await _migrate_to(url, "0003_step_version")
    engine = make_engine(make_settings(database_url=url))
    try:
        for tid in ("t-alice", "t-bob"):
            await _insert(engine, "threads", id=tid, created_at=_NOW, updated_at=_NOW)
        await _insert(
            engine,
            "steps",
            id="s1",
            thread_id="t-alice",
            seq=1,
            output="alice's",
            version=1.0,
            created_at="2026-01-01T00:00:00.000000Z",
        )
        await _insert(
            engine,
            "feedbacks",
            id="f-alice",
            for_id="s1",
            thread_id="t-alice",
            value=1,
            created_at=_NOW,
            updated_at=_NOW,
        )
        await _insert(
            engine,
            "elements",
            id="e1",
            thread_id="t-alice",
            created_at=_NOW,
            type="text",
            name="alice's",
        )
        # Never readable: every read of an element names its thread.
        await _insert(
            engine, "elements", id="e-orphan", created_at=_NOW, type="text", name="orphan"
        )

        await _migrate_to(url, "head")
        # The same ids in another thread are rows of their own now.
        await _insert(
            engine,
            "steps",
            id="s1",
            thread_id="t-bob",
            seq=1,
            output="bob's",
            version=2.0,
            created_at="2026-01-02T00:00:00.000000Z",
        )
        await _insert(
            engine,
            "feedbacks",
            id="f-bob",
            for_id="s1",
            thread_id="t-bob",
            value=0,
            created_at=_NOW,
            updated_at=_NOW,
        )
        await _insert(
            engine,
            "elements",
            id="e1",
            thread_id="t-bob",
            created_at=_NOW.replace(day=2),
            type="custom",
            name="bob's",
        )
        steps = "SELECT thread_id, id, output FROM steps"
        elements = "SELECT thread_id, id, name FROM elements"
        feedbacks = "SELECT id, thread_id, for_id FROM feedbacks"
        assert await _rows(engine, steps) == {
            ("t-alice", "s1", "alice's"),
            ("t-bob", "s1", "bob's"),
        }
        assert await _rows(engine, elements) == {
            ("t-alice", "e1", "alice's"),
            ("t-bob", "e1", "bob's"),
        }

        await _migrate_to(url, "0003_step_version", down=True)
        assert await _rows(engine, steps) == {("t-alice", "s1", "alice's")}
        assert await _rows(engine, elements) == {("t-alice", "e1", "alice's")}
        # Bob's feedback would otherwise attach to alice's step.
        assert await _rows(engine, feedbacks) == {("f-alice", "t-alice", "s1")}

        await _migrate_to(url, "head")
        assert await _rows(engine, steps) == {("t-alice", "s1", "alice's")}
    finally:
        await engine.dispose()
