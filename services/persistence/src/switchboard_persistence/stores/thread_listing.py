"""Thread lists as every SQL storage mode pages them: latest activity first.

Switchboard's schema and Chainlit's name things differently (``updated_at`` or the newest
step's ``createdAt``; snake_case or camelCase), the rules are one: the owner's threads,
only those whose name or a step's output contains the search text, or that hold a
feedback of the value asked, when asked; newest activity first, then the higher id; a
cursor is the previous page's last thread id, and one that is not the owner's thread
ends the list. Each store says where its columns are and how a row reads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from switchboard.schema import ThreadDict
from switchboard.schema.history import PageInfo, ThreadListRequest, ThreadPage
from switchboard_persistence.db.sql import clean

__all__ = ("ListedColumns", "like_pattern", "matching", "read_page")

_LIKE_ESCAPE = "\\"


def like_pattern(text: str) -> str:
    """A LIKE pattern matching ``text`` literally anywhere (``%`` and ``_`` escaped)."""
    escaped = text.replace(_LIKE_ESCAPE, _LIKE_ESCAPE * 2).replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@dataclass(frozen=True, slots=True)
class ListedColumns:
    """Where a schema keeps what a thread list filters on."""

    thread_id: ColumnElement[Any]
    thread_name: ColumnElement[Any]
    step_id: ColumnElement[Any]
    step_thread: ColumnElement[Any]
    step_output: ColumnElement[Any]
    feedback_id: ColumnElement[Any]
    feedback_thread: ColumnElement[Any]
    feedback_value: ColumnElement[Any]


def matching(query: Select[Any], cols: ListedColumns, request: ThreadListRequest) -> Select[Any]:
    """``query`` (over threads) narrowed to the request's search and feedback filters."""
    # Stored text has its NULs dropped (PostgreSQL refuses them), so the search too.
    search = clean(request.filter.search)
    if search:
        pattern = like_pattern(search)
        in_steps = (
            select(cols.step_id)
            .where(
                cols.step_thread == cols.thread_id,
                cols.step_output.ilike(pattern, escape=_LIKE_ESCAPE),
            )
            .exists()
        )
        query = query.where(or_(cols.thread_name.ilike(pattern, escape=_LIKE_ESCAPE), in_steps))
    if request.filter.feedback is not None:
        rated = (
            select(cols.feedback_id)
            .where(
                cols.feedback_thread == cols.thread_id,
                cols.feedback_value == request.filter.feedback,
            )
            .exists()
        )
        query = query.where(rated)
    return query


async def read_page(
    conn: AsyncConnection,
    query: Select[Any],
    request: ThreadListRequest,
    *,
    activity: ColumnElement[Any],
    thread_id: ColumnElement[Any],
    anchor: Callable[[str], Select[Any]],
    listed: Callable[[Row[Any]], ThreadDict],
) -> ThreadPage:
    """One page of ``query``'s threads by ``activity``; ``anchor(cursor)`` selects the
    cursor thread's activity when it is the owner's (no row: the list ends)."""
    first = request.pagination.first
    cursor = request.pagination.cursor
    if cursor:
        found = (await conn.execute(anchor(cursor))).first()
        if found is None:
            return ThreadPage(pageInfo=PageInfo(hasNextPage=False), data=[])
        at = found[0]
        query = query.where(or_(activity < at, and_(activity == at, thread_id < cursor)))
    query = query.order_by(activity.desc(), thread_id.desc()).limit(first + 1)
    rows = (await conn.execute(query)).all()
    data = [listed(row) for row in rows[:first]]
    return ThreadPage(
        pageInfo=PageInfo(
            hasNextPage=len(rows) > first,
            startCursor=data[0].id if data else None,
            endCursor=data[-1].id if data else None,
        ),
        data=data,
    )
