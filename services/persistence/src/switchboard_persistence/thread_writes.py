"""Thread rows as the persistence stream writes them: created on first sight, kept current."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from switchboard.schema import ThreadUpsert
from switchboard_persistence.db.models import THREAD_NAME_MAX, UtcDateTime
from switchboard_persistence.db.sql import THREADS, clean, insert_for
from switchboard_persistence.validation import event_time

__all__ = ("ensure_threads", "touch_threads", "upsert_thread")

logger = logging.getLogger(__name__)


async def ensure_threads(conn: AsyncConnection, first_seen: dict[str, datetime]) -> None:
    """Create bare thread rows for steps whose thread is not stored yet."""
    if not first_seen:
        return
    rows = [
        {"id": tid, "created_at": at, "updated_at": at}
        for tid, at in sorted(first_seen.items())  # one lock order for every consumer
    ]
    stmt = insert_for(conn, THREADS).on_conflict_do_nothing(index_elements=["id"])
    await conn.execute(stmt, rows)


async def touch_threads(conn: AsyncConnection, last_seen: dict[str, datetime]) -> None:
    """Move ``updated_at`` forward so thread lists order by latest activity."""
    if not last_seen:
        return
    at = bindparam("at", type_=UtcDateTime())
    stmt = (
        update(THREADS)
        .where(THREADS.c.id == bindparam("tid"), THREADS.c.updated_at < at)
        .values(updated_at=at)
    )
    await conn.execute(stmt, [{"tid": t, "at": a} for t, a in sorted(last_seen.items())])


async def upsert_thread(conn: AsyncConnection, event: ThreadUpsert, thread_id: str) -> None:
    """Apply a thread upsert: fields it names change, metadata merges, the owner never changes."""
    at = event_time(event)
    await ensure_threads(conn, {thread_id: at})
    row = (
        await conn.execute(
            select(THREADS.c.user_identifier, THREADS.c.updated_at, THREADS.c["metadata"])
            .where(THREADS.c.id == thread_id)
            .with_for_update()
        )
    ).one()
    payload = event.payload
    owner: str | None = row.user_identifier
    if payload.user_identifier and owner and payload.user_identifier != owner:
        # A thread never changes hands: refuse the whole update rather than guess.
        logger.warning(
            "thread upsert for another user's thread ignored",
            extra={"thread_id": thread_id, "session_id": event.session_id},
        )
        return
    values: dict[str, Any] = {}
    if payload.name is not None:
        values["name"] = clean(payload.name)[:THREAD_NAME_MAX]
    if payload.user_id is not None:
        values["user_id"] = clean(payload.user_id)
    if payload.user_identifier is not None:
        values["user_identifier"] = clean(payload.user_identifier)
    if payload.tags is not None:
        values["tags"] = clean(payload.tags)
    if payload.metadata is not None:
        merged: dict[str, Any] = dict(row._mapping["metadata"] or {})
        for key, value in clean(payload.metadata).items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        values["metadata"] = merged
    if at > row.updated_at:
        values["updated_at"] = at
    if values:
        await conn.execute(update(THREADS).where(THREADS.c.id == thread_id).values(**values))
