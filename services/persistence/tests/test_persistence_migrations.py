"""The Alembic migrations build the schema the models describe, on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from persistence_support import CreateDatabase, make_settings
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from switchboard_persistence.db.engine import VERSION_TABLE, alembic_config, make_engine, migrate
from switchboard_persistence.db.models import Base

TABLES = {"threads", "steps", "elements", "feedbacks", "files", VERSION_TABLE}


def _inspect(connection: Connection) -> tuple[set[str], str | None, list[object]]:
    tables = set(inspect(connection).get_table_names())
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    diff = compare_metadata(context, Base.metadata)
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
    assert revision == head == "0003_step_version"
    assert diff == [], f"models and migrations differ: {diff}"
