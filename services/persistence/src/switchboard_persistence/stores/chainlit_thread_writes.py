"""Thread and user rows of Chainlit's schema as the persistence stream writes them.

Chainlit ties a thread to ``users.id`` and copies the identifier into
``threads.userIdentifier``; a thread upsert naming a user finds (or adds) that user's
row by identifier and sets both. A thread never changes hands; what else an upsert
changes follows the rules every SQL mode shares (:mod:`switchboard_persistence.thread_writes`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import cast

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from switchboard.schema import ThreadUpsert
from switchboard_persistence.db.sql import clean, iso
from switchboard_persistence.stores.chainlit_schema import CL_THREADS, CL_USERS
from switchboard_persistence.thread_writes import hands_over, thread_changes
from switchboard_persistence.validation import event_time

__all__ = ("ensure_threads", "ensure_user", "upsert_thread")


async def ensure_user(conn: AsyncConnection, identifier: str, now: datetime) -> str:
    """The ``users.id`` of ``identifier``, adding the row Chainlit would have added at login."""
    u = CL_USERS.c
    found: str | None = (
        await conn.execute(select(u.id).where(u.identifier == identifier))
    ).scalar()
    if found is not None:
        return found
    await conn.execute(
        insert(CL_USERS)
        .values(id=str(uuid.uuid4()), identifier=identifier, metadata={}, createdAt=iso(now))
        .on_conflict_do_nothing(index_elements=["identifier"])
    )
    return cast(str, (await conn.execute(select(u.id).where(u.identifier == identifier))).scalar())


async def ensure_threads(conn: AsyncConnection, first_seen: dict[str, datetime]) -> None:
    """Bare thread rows, as Chainlit's ``create_step`` adds one for a step's thread."""
    if not first_seen:
        return
    rows = [
        {"id": tid, "createdAt": iso(at), "metadata": {}}
        for tid, at in sorted(first_seen.items())  # one lock order for every consumer
    ]
    await conn.execute(insert(CL_THREADS).on_conflict_do_nothing(index_elements=["id"]), rows)


async def upsert_thread(conn: AsyncConnection, event: ThreadUpsert, thread_id: str) -> None:
    """Fields named change, metadata merges (None deletes a key), the owner never changes."""
    at = event_time(event)
    await ensure_threads(conn, {thread_id: at})
    t = CL_THREADS.c
    row = (
        await conn.execute(
            select(t.userIdentifier, t.userId, t.metadata)
            .where(t.id == thread_id)
            .with_for_update()
        )
    ).one()
    payload = event.payload
    owner: str | None = row.userIdentifier
    if hands_over(event, thread_id, owner):
        return
    values = thread_changes(payload, row.metadata)
    if payload.user_identifier and not owner:
        identifier = clean(payload.user_identifier)
        values["userIdentifier"] = identifier
        values["userId"] = await ensure_user(conn, identifier, at)
    if values:
        await conn.execute(update(CL_THREADS).where(t.id == thread_id).values(**values))
