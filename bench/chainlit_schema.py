"""Chainlit's SQLAlchemy data layer schema, for the PostgreSQL side of bench/vs_chainlit.py.

The DDL itself lives in the persistence service
(:mod:`switchboard_persistence.stores.chainlit_schema`), which can serve such a
database in place; here are the helpers that make and measure one.
"""

from __future__ import annotations

import asyncpg

# One DDL for the benchmark, the tests and the persistence service's chainlit mode.
from switchboard_persistence.stores.chainlit_schema import CHAINLIT_SCHEMA

__all__ = ("CHAINLIT_SCHEMA", "create_database", "drop_database", "row_counts")


async def create_database(server_dsn: str, name: str, schema: str | None = None) -> str:
    """A new empty database on the server (``schema`` applied); its DSN."""
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    dsn = f"{server_dsn.rstrip('/').rsplit('/', 1)[0]}/{name}"
    if schema:
        db = await asyncpg.connect(dsn)
        try:
            await db.execute(schema)
        finally:
            await db.close()
    return dsn


async def drop_database(server_dsn: str, name: str) -> None:
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def row_counts(dsn: str, tables: tuple[str, ...]) -> dict[str, int]:
    """Rows per table: proof that a run stored what it answered."""
    db = await asyncpg.connect(dsn)
    try:
        return {t: int(await db.fetchval(f'SELECT count(*) FROM "{t}"')) for t in tables}
    finally:
        await db.close()
