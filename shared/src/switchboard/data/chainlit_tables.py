"""Chainlit's SQL tables (``users``, ``threads``, ``steps``, ``elements``, ``feedbacks``).

Chainlit documents these tables (lower-case names, quoted camelCase columns, uuid
ids, ISO-8601 text timestamps) and leaves creating them to the app. They are
declared here once, for both readers of such a database: :class:`SQLAlchemyDataLayer`
(PostgreSQL or SQLite, :data:`LAYER_TABLES`) and the persistence service's chainlit
mode (PostgreSQL only). The two differ only in how ids, JSON and tag columns are
typed (:class:`ColumnTypes`) and in whether ``steps.indent`` is declared, so
:func:`chainlit_tables` takes those as arguments. Each call declares the tables in a
``MetaData`` of their own, so ``metadata.create_all`` makes only these five.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Boolean, Column, Integer, MetaData, Table, Text
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import TypeEngine

from switchboard.data.sql_types import PortableJson, PortableTags

__all__ = (
    "LAYER_TABLES",
    "PORTABLE_TYPES",
    "POSTGRESQL_TYPES",
    "ChainlitTables",
    "ColumnTypes",
    "chainlit_tables",
)


@dataclass(frozen=True)
class ColumnTypes:
    """How the columns that are not plain text, number or boolean are typed."""

    id: TypeEngine[Any]
    json: TypeEngine[Any]
    tags: TypeEngine[Any]


# Ids stay strings in Python whatever the column's type (``as_uuid=False``).
PORTABLE_TYPES = ColumnTypes(
    id=Text().with_variant(postgresql.UUID(as_uuid=False), "postgresql"),
    json=PortableJson(),
    tags=PortableTags(),
)
"""PostgreSQL's native types there, JSON text on SQLite."""

POSTGRESQL_TYPES = ColumnTypes(
    id=postgresql.UUID(as_uuid=False),
    json=postgresql.JSONB(none_as_null=True),
    tags=postgresql.ARRAY(Text),
)
"""PostgreSQL's types with no per-value conversion, for a PostgreSQL-only reader."""


class ChainlitTables(NamedTuple):
    """The five tables, in the order a database is filled (users first)."""

    users: Table
    threads: Table
    steps: Table
    elements: Table
    feedbacks: Table


def chainlit_tables(types: ColumnTypes, *, step_indent: bool = True) -> ChainlitTables:
    """Declare the tables with ``types``; ``step_indent=False`` leaves ``steps.indent`` out
    (for a reader that neither reads nor writes it, so a database without it qualifies)."""
    meta = MetaData()
    id_, json, tags = types.id, types.json, types.tags
    users = Table(
        "users",
        meta,
        Column("id", id_, primary_key=True),
        Column("identifier", Text, nullable=False, unique=True),
        Column("metadata", json, nullable=False),
        Column("createdAt", Text),
    )
    threads = Table(
        "threads",
        meta,
        Column("id", id_, primary_key=True),
        Column("createdAt", Text),
        Column("name", Text),
        Column("userId", id_),
        Column("userIdentifier", Text),
        Column("tags", tags),
        Column("metadata", json),
    )
    steps = Table(
        "steps",
        meta,
        Column("id", id_, primary_key=True),
        Column("name", Text, nullable=False),
        Column("type", Text, nullable=False),
        Column("threadId", id_, nullable=False),
        Column("parentId", id_),
        Column("streaming", Boolean, nullable=False),
        Column("waitForAnswer", Boolean),
        Column("isError", Boolean),
        Column("metadata", json),
        Column("tags", tags),
        Column("input", Text),
        Column("output", Text),
        Column("createdAt", Text),
        Column("command", Text),
        Column("modes", json),
        Column("start", Text),
        Column("end", Text),
        Column("generation", json),
        # Chainlit stores ``str(showInput).lower()``: "true", "false", "json", ...
        Column("showInput", Text),
        Column("language", Text),
        *([Column("indent", Integer)] if step_indent else []),
        Column("defaultOpen", Boolean),
        Column("autoCollapse", Boolean),
        Column("icon", Text),
    )
    elements = Table(
        "elements",
        meta,
        Column("id", id_, primary_key=True),
        Column("threadId", id_),
        Column("type", Text),
        Column("url", Text),
        Column("chainlitKey", Text),
        Column("name", Text, nullable=False),
        Column("display", Text),
        Column("objectKey", Text),
        Column("size", Text),
        Column("page", Integer),
        Column("language", Text),
        Column("forId", id_),
        Column("mime", Text),
        Column("props", json),
        Column("autoPlay", Boolean),
        Column("playerConfig", json),
    )
    feedbacks = Table(
        "feedbacks",
        meta,
        Column("id", id_, primary_key=True),
        Column("forId", id_, nullable=False),
        Column("threadId", id_, nullable=False),
        Column("value", Integer, nullable=False),
        Column("comment", Text),
    )
    return ChainlitTables(users, threads, steps, elements, feedbacks)


LAYER_TABLES = chainlit_tables(PORTABLE_TYPES)
"""The tables as :class:`~switchboard.data.sql_alchemy.SQLAlchemyDataLayer` uses them."""
