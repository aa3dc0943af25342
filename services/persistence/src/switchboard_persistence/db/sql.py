"""SQL pieces every reader and writer shares: the tables, upserts, owner tests, timestamps."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from switchboard_persistence.db.models import Element, Feedback, File, Step, Thread

__all__ = (
    "ELEMENTS",
    "FEEDBACKS",
    "FILES",
    "STEPS",
    "THREADS",
    "clean",
    "insert_for",
    "iso",
    "owned_by",
)

THREADS = cast(Table, Thread.__table__)
STEPS = cast(Table, Step.__table__)
ELEMENTS = cast(Table, Element.__table__)
FEEDBACKS = cast(Table, Feedback.__table__)
FILES = cast(Table, File.__table__)


def iso(value: datetime) -> str:
    """Chainlit's timestamp format: ISO-8601 UTC with microseconds and a trailing ``Z``."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def clean(value: Any) -> Any:
    """Drop NUL characters: PostgreSQL rejects them in text and JSONB alike."""
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, dict):
        return {clean(k): clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


def insert_for(conn: AsyncConnection | str, table: Table) -> postgresql.Insert | sqlite.Insert:
    """The dialect's INSERT (for a connection or a dialect name), with ``ON CONFLICT``."""
    dialect = conn if isinstance(conn, str) else conn.dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise RuntimeError(f"unsupported database dialect {dialect!r}")


def owned_by(column: Any, identifier: str | None) -> ColumnElement[bool]:
    """The row's owner is ``identifier``; for anonymous callers, rows without an owner."""
    if identifier is None:
        return cast(ColumnElement[bool], column.is_(None))
    return cast(ColumnElement[bool], column == identifier)
