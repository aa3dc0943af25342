"""Thread rows as the persistence stream writes them: created on first sight, kept current.

The rules of a thread upsert that do not depend on the schema (who may change it, how
name, tags and metadata change) are here too, for every SQL storage mode.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from switchboard.schema import ThreadUpsert
from switchboard.schema.persist import ThreadUpsertPayload
from switchboard_persistence.db.models import THREAD_NAME_MAX, UtcDateTime
from switchboard_persistence.db.sql import THREADS, clean, insert_for, iso
from switchboard_persistence.validation import event_time

__all__ = (
    "ensure_threads",
    "hands_over",
    "merge_metadata",
    "sharing",
    "thread_changes",
    "touch_threads",
    "upsert_thread",
)

logger = logging.getLogger(__name__)


def merge_metadata(stored: Mapping[str, Any] | None, changes: Mapping[str, Any]) -> dict[str, Any]:
    """The stored metadata with ``changes`` over it; a key changed to None is removed."""
    merged = dict(stored or {})
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def sharing(is_shared: bool) -> dict[str, Any]:
    """The metadata change of sharing (``shared_at`` set) or unsharing (removed) a thread."""
    return {"is_shared": is_shared, "shared_at": iso(datetime.now(UTC)) if is_shared else None}


def hands_over(event: ThreadUpsert, thread_id: str, owner: str | None) -> bool:
    """The upsert names another user than the thread's: refused whole (a thread never
    changes hands, and guessing which fields are safe would be worse)."""
    named = event.payload.user_identifier
    if not (named and owner and named != owner):
        return False
    logger.warning(
        "thread upsert for another user's thread ignored",
        extra={"thread_id": thread_id, "session_id": event.session_id},
    )
    return True


def thread_changes(payload: ThreadUpsertPayload, stored_metadata: Any) -> dict[str, Any]:
    """What a thread upsert changes in any schema: its name, tags and merged metadata
    (the owner's columns differ from schema to schema)."""
    values: dict[str, Any] = {}
    if payload.name is not None:
        values["name"] = clean(payload.name)[:THREAD_NAME_MAX]
    if payload.tags is not None:
        values["tags"] = clean(payload.tags)
    if payload.metadata is not None:
        values["metadata"] = merge_metadata(stored_metadata, clean(payload.metadata))
    return values


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
    if hands_over(event, thread_id, row.user_identifier):
        return
    values = thread_changes(payload, row._mapping["metadata"])
    if payload.user_id is not None:
        values["user_id"] = clean(payload.user_id)
    if payload.user_identifier is not None:
        values["user_identifier"] = clean(payload.user_identifier)
    if at > row.updated_at:
        values["updated_at"] = at
    if values:
        await conn.execute(update(THREADS).where(THREADS.c.id == thread_id).values(**values))
