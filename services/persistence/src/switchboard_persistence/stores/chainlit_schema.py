"""Chainlit 2.12's SQLAlchemy data layer schema: the DDL and the tables as SQLAlchemy sees them.

Chainlit documents the tables its ``SQLAlchemyDataLayer`` writes (lower-case table
names, quoted camelCase columns, uuid ids, ISO-8601 text timestamps) and leaves
creating them to the app. This is our own DDL for them, with one column per key the
data layer inserts from a step or element dict. Switchboard never runs it against an
app's database: tests and benchmarks use it to make one, and the service only checks
that the tables it needs are there (:func:`missing_tables`). The tables as SQLAlchemy
sees them are declared once, in :mod:`switchboard.data.chainlit_tables`.
"""

from __future__ import annotations

from sqlalchemy import Table, inspect
from sqlalchemy.ext.asyncio import AsyncConnection

from switchboard.data.chainlit_tables import POSTGRESQL_TYPES, chainlit_tables

__all__ = (
    "CHAINLIT_SCHEMA",
    "CHAINLIT_TABLES",
    "CL_ELEMENTS",
    "CL_FEEDBACKS",
    "CL_STEPS",
    "CL_THREADS",
    "CL_USERS",
    "missing_tables",
)

CHAINLIT_SCHEMA = """
CREATE TABLE users (
    "id" UUID PRIMARY KEY,
    "identifier" TEXT NOT NULL UNIQUE,
    "metadata" JSONB NOT NULL,
    "createdAt" TEXT
);
CREATE TABLE threads (
    "id" UUID PRIMARY KEY,
    "createdAt" TEXT,
    "name" TEXT,
    "userId" UUID REFERENCES users ("id") ON DELETE CASCADE,
    "userIdentifier" TEXT,
    "tags" TEXT[],
    "metadata" JSONB
);
CREATE TABLE steps (
    "id" UUID PRIMARY KEY,
    "name" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "threadId" UUID NOT NULL REFERENCES threads ("id") ON DELETE CASCADE,
    "parentId" UUID,
    "streaming" BOOLEAN NOT NULL,
    "waitForAnswer" BOOLEAN,
    "isError" BOOLEAN,
    "metadata" JSONB,
    "tags" TEXT[],
    "input" TEXT,
    "output" TEXT,
    "createdAt" TEXT,
    "command" TEXT,
    "modes" JSONB,
    "start" TEXT,
    "end" TEXT,
    "generation" JSONB,
    "showInput" TEXT,
    "language" TEXT,
    "indent" INT,
    "defaultOpen" BOOLEAN,
    "autoCollapse" BOOLEAN,
    "icon" TEXT
);
CREATE TABLE elements (
    "id" UUID PRIMARY KEY,
    "threadId" UUID REFERENCES threads ("id") ON DELETE CASCADE,
    "type" TEXT,
    "url" TEXT,
    "chainlitKey" TEXT,
    "name" TEXT NOT NULL,
    "display" TEXT,
    "objectKey" TEXT,
    "size" TEXT,
    "page" INT,
    "language" TEXT,
    "forId" UUID,
    "mime" TEXT,
    "props" JSONB,
    "autoPlay" BOOLEAN,
    "playerConfig" JSONB
);
CREATE TABLE feedbacks (
    "id" UUID PRIMARY KEY,
    "forId" UUID NOT NULL,
    "threadId" UUID NOT NULL REFERENCES threads ("id") ON DELETE CASCADE,
    "value" INT NOT NULL,
    "comment" TEXT
);
"""

# The shared declaration (also :class:`SQLAlchemyDataLayer`'s), with PostgreSQL's own
# types: the service only serves PostgreSQL, and ids come back as strings, as
# Switchboard's dicts carry them. It neither reads nor writes ``steps.indent``
# (Switchboard's steps have none), so a database without that column qualifies.
CHAINLIT_TABLES: tuple[Table, ...] = chainlit_tables(POSTGRESQL_TYPES, step_indent=False)
CL_USERS, CL_THREADS, CL_STEPS, CL_ELEMENTS, CL_FEEDBACKS = CHAINLIT_TABLES

# Columns some Chainlit databases lack (added in later Chainlit versions, or only written
# when an app uses them): reads and writes leave them out when absent.
OPTIONAL_COLUMNS: dict[str, frozenset[str]] = {
    "steps": frozenset(
        {"command", "modes", "defaultOpen", "autoCollapse", "icon", "generation", "language"}
    ),
    "elements": frozenset({"autoPlay", "playerConfig", "props", "mime"}),
}


async def missing_tables(conn: AsyncConnection) -> list[str]:
    """What the database lacks of the schema: ``table`` or ``table.column``, empty when usable."""

    def look(sync_conn: object) -> list[str]:
        inspector = inspect(sync_conn)
        names = set(inspector.get_table_names())
        missing: list[str] = []
        for table in CHAINLIT_TABLES:
            if table.name not in names:
                missing.append(table.name)
                continue
            have = {c["name"] for c in inspector.get_columns(table.name)}
            optional = OPTIONAL_COLUMNS.get(table.name, frozenset())
            missing += [
                f"{table.name}.{c.name}"
                for c in table.columns
                if c.name not in have and c.name not in optional
            ]
        return missing

    return await conn.run_sync(look)
