"""Chainlit 2.12's SQLAlchemy data layer schema: the DDL and the tables as SQLAlchemy sees them.

Chainlit documents the tables its ``SQLAlchemyDataLayer`` writes (lower-case table
names, quoted camelCase columns, uuid ids, ISO-8601 text timestamps) and leaves
creating them to the app. This is our own DDL for them, with one column per key the
data layer inserts from a step or element dict. Switchboard never runs it against an
app's database: tests and benchmarks use it to make one, and the service only checks
that the tables it needs are there (:func:`missing_tables`).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Integer,
    MetaData,
    Table,
    Text,
    inspect,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.ext.asyncio import AsyncConnection

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

_META = MetaData()
# Ids come back as strings, as Switchboard's dicts carry them.
_ID = UUID(as_uuid=False)

CL_USERS = Table(
    "users",
    _META,
    Column("id", _ID, primary_key=True),
    Column("identifier", Text, nullable=False, unique=True),
    Column("metadata", JSONB(none_as_null=True), nullable=False),
    Column("createdAt", Text),
)
CL_THREADS = Table(
    "threads",
    _META,
    Column("id", _ID, primary_key=True),
    Column("createdAt", Text),
    Column("name", Text),
    Column("userId", _ID),
    Column("userIdentifier", Text),
    Column("tags", ARRAY(Text)),
    Column("metadata", JSONB(none_as_null=True)),
)
CL_STEPS = Table(
    "steps",
    _META,
    Column("id", _ID, primary_key=True),
    Column("name", Text, nullable=False),
    Column("type", Text, nullable=False),
    Column("threadId", _ID, nullable=False),
    Column("parentId", _ID),
    Column("streaming", Boolean, nullable=False),
    Column("waitForAnswer", Boolean),
    Column("isError", Boolean),
    Column("metadata", JSONB(none_as_null=True)),
    Column("tags", ARRAY(Text)),
    Column("input", Text),
    Column("output", Text),
    Column("createdAt", Text),
    Column("command", Text),
    Column("modes", JSONB(none_as_null=True)),
    Column("start", Text),
    Column("end", Text),
    Column("generation", JSONB(none_as_null=True)),
    Column("showInput", Text),
    Column("language", Text),
    Column("defaultOpen", Boolean),
    Column("autoCollapse", Boolean),
    Column("icon", Text),
)
CL_ELEMENTS = Table(
    "elements",
    _META,
    Column("id", _ID, primary_key=True),
    Column("threadId", _ID),
    Column("type", Text),
    Column("url", Text),
    Column("chainlitKey", Text),
    Column("name", Text, nullable=False),
    Column("display", Text),
    Column("objectKey", Text),
    Column("size", Text),
    Column("page", Integer),
    Column("language", Text),
    Column("forId", _ID),
    Column("mime", Text),
    Column("props", JSONB(none_as_null=True)),
    Column("autoPlay", Boolean),
    Column("playerConfig", JSONB(none_as_null=True)),
)
CL_FEEDBACKS = Table(
    "feedbacks",
    _META,
    Column("id", _ID, primary_key=True),
    Column("forId", _ID, nullable=False),
    Column("threadId", _ID, nullable=False),
    Column("value", Integer, nullable=False),
    Column("comment", Text),
)

CHAINLIT_TABLES: tuple[Table, ...] = (CL_USERS, CL_THREADS, CL_STEPS, CL_ELEMENTS, CL_FEEDBACKS)

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
