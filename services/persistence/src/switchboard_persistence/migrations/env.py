"""Alembic environment for the persistence database (async engines).

On PostgreSQL the upgrade holds an advisory lock, so replicas that start
together migrate one after the other instead of racing.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from switchboard_persistence.db.models import Base

# Any constant: all persistence replicas must agree on it.
_MIGRATION_LOCK = 0x5B_9E_7515

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    version_table = context.config.get_main_option("version_table") or "alembic_version"
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table=version_table,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        context.run_migrations()


async def _online() -> None:
    url = context.config.get_main_option("sqlalchemy.url") or ""
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


asyncio.run(_online())
