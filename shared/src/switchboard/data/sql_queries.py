"""The statements :class:`SQLAlchemyDataLayer` runs that take more than a line to build.

Every read names only the columns the database has (older Chainlit schemas lack a
few), so each builder takes that set. Thread listings are filtered, ordered and
limited in SQL; only the cut into pages happens in Python (:mod:`.thread_pages`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Column, Executable, Select, Table, delete, func, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from switchboard.data.chainlit_tables import LAYER_TABLES

__all__ = (
    "Columns",
    "delete_element_row",
    "delete_step_rows",
    "delete_thread_rows",
    "favorite_step_rows",
    "present",
    "read_columns",
    "thread_ids_query",
    "thread_parts",
    "upsert",
)

USERS, THREADS, STEPS, ELEMENTS, FEEDBACKS = LAYER_TABLES

# The columns each table has in the database at hand, by table name.
Columns = dict[str, frozenset[str]]


def read_columns(sync_conn: Any) -> Columns:
    """Inspect the database (run through ``run_sync``); refuse one without the tables."""
    inspector = inspect(sync_conn)
    names = set(inspector.get_table_names())
    missing = [t.name for t in LAYER_TABLES if t.name not in names]
    if missing:
        raise RuntimeError(
            f"SQLAlchemyDataLayer: the database has no {', '.join(missing)} "
            "table (Chainlit's schema is created by the app, see "
            "docs/persistence-api.md)"
        )
    return {
        t.name: frozenset(c["name"] for c in inspector.get_columns(t.name)) for t in LAYER_TABLES
    }


def present(table: Table, have: frozenset[str]) -> list[Column[Any]]:
    """The table's columns the database has, to select."""
    return [c for c in table.columns if c.name in have]


def upsert(
    dialect_name: str, table: Table, row: Mapping[str, Any], keep: Sequence[str]
) -> Executable:
    """Insert ``row``, or update every column it gives but ``keep`` (and the id)."""
    insert = postgresql.insert if dialect_name == "postgresql" else sqlite.insert
    statement = insert(table).values(dict(row))
    changes = {k: statement.excluded[k] for k in row if k != "id" and k not in keep}
    if changes:
        return statement.on_conflict_do_update(index_elements=["id"], set_=changes)
    return statement.on_conflict_do_nothing(index_elements=["id"])


def thread_ids_query(
    user_id: str,
    search: str | None,
    feedback: int | None,
    *,
    dialect_name: str,
    limit: int | None,
) -> Select[Any]:
    """The user's matching thread ids, latest step first (then latest created).

    ``search`` matches the thread's name or a step's output, case-insensitively;
    ``feedback`` keeps threads with a feedback of that value.
    """
    t, s, f = THREADS.c, STEPS.c, FEEDBACKS.c
    last = select(func.max(s.createdAt)).where(s.threadId == t.id).scalar_subquery().label("last")
    query = select(t.id, last).where(t.userId == user_id)
    if search:
        needle = f"%{search.lower()}%"
        query = query.where(
            select(s.id).where(s.threadId == t.id, func.lower(s.output).like(needle)).exists()
            | func.lower(t.name).like(needle)
        )
    if feedback is not None:
        query = query.where(select(f.id).where(f.threadId == t.id, f.value == feedback).exists())
    query = query.order_by(
        # SQLite already sorts NULLs last in a descending order.
        last.desc().nulls_last() if dialect_name == "postgresql" else last.desc(),
        t.createdAt.desc(),
    )
    if limit:
        query = query.limit(limit)
    return query


async def thread_parts(
    conn: AsyncConnection, thread_ids: Sequence[str], have: Columns
) -> tuple[Sequence[RowMapping], Sequence[RowMapping], Sequence[RowMapping]]:
    """The threads' rows, their steps' (oldest first, feedback joined as ``fb_*``) and
    their elements'."""
    threads = (
        (
            await conn.execute(
                select(*present(THREADS, have["threads"])).where(THREADS.c.id.in_(thread_ids))
            )
        )
        .mappings()
        .all()
    )
    steps = (
        (
            await conn.execute(
                select(
                    *present(STEPS, have["steps"]),
                    FEEDBACKS.c.id.label("fb_id"),
                    FEEDBACKS.c.value.label("fb_value"),
                    FEEDBACKS.c.comment.label("fb_comment"),
                )
                .outerjoin(FEEDBACKS, FEEDBACKS.c.forId == STEPS.c.id)
                .where(STEPS.c.threadId.in_(thread_ids))
                .order_by(STEPS.c.createdAt)
            )
        )
        .mappings()
        .all()
    )
    elements = (
        (
            await conn.execute(
                select(*present(ELEMENTS, have["elements"])).where(
                    ELEMENTS.c.threadId.in_(thread_ids)
                )
            )
        )
        .mappings()
        .all()
    )
    return threads, steps, elements


async def favorite_step_rows(
    conn: AsyncConnection, user_id: str, have: frozenset[str]
) -> list[RowMapping]:
    """The user's steps marked ``metadata.favorite``, newest first.

    The flag is tested in Python: JSON paths differ between PostgreSQL and SQLite.
    """
    rows = (
        (
            await conn.execute(
                select(*present(STEPS, have))
                .join(THREADS, THREADS.c.id == STEPS.c.threadId)
                .where(THREADS.c.userId == user_id)
                .order_by(STEPS.c.createdAt.desc())
            )
        )
        .mappings()
        .all()
    )
    return [row for row in rows if (row.get("metadata") or {}).get("favorite") is True]


async def delete_thread_rows(conn: AsyncConnection, thread_id: str) -> list[str]:
    """Delete the thread and everything in it; the object keys of its elements' files."""
    keys = (
        await conn.execute(
            select(ELEMENTS.c.objectKey).where(
                ELEMENTS.c.threadId == thread_id, ELEMENTS.c.objectKey.is_not(None)
            )
        )
    ).scalars()
    object_keys = [k for k in keys if k]
    await conn.execute(delete(FEEDBACKS).where(FEEDBACKS.c.threadId == thread_id))
    await conn.execute(delete(ELEMENTS).where(ELEMENTS.c.threadId == thread_id))
    await conn.execute(delete(STEPS).where(STEPS.c.threadId == thread_id))
    await conn.execute(delete(THREADS).where(THREADS.c.id == thread_id))
    return object_keys


async def delete_step_rows(conn: AsyncConnection, step_id: str) -> None:
    """Delete the step with its feedback and the elements attached to it."""
    await conn.execute(delete(FEEDBACKS).where(FEEDBACKS.c.forId == step_id))
    await conn.execute(delete(ELEMENTS).where(ELEMENTS.c.forId == step_id))
    await conn.execute(delete(STEPS).where(STEPS.c.id == step_id))


async def delete_element_row(
    conn: AsyncConnection, element_id: str, thread_id: str | None
) -> str | None:
    """Delete the element (only from ``thread_id`` when named); its file's object key."""
    where = [ELEMENTS.c.id == element_id]
    if thread_id is not None:
        where.append(ELEMENTS.c.threadId == thread_id)
    object_key = (await conn.execute(select(ELEMENTS.c.objectKey).where(*where))).scalar()
    await conn.execute(delete(ELEMENTS).where(*where))
    return object_key
