"""The persistence database behind one engine: apply event batches, read threads and elements.

The writes live in :mod:`switchboard_persistence.apply` (with
:mod:`~switchboard_persistence.thread_writes`, :mod:`~switchboard_persistence.step_writes`
and :mod:`~switchboard_persistence.elements`); the event checks in
:mod:`switchboard_persistence.validation`. Their public names are re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from switchboard.schema import ElementDict, PersistEvent, ThreadDict
from switchboard_persistence.apply import apply_events, delete_objects
from switchboard_persistence.db.sql import (
    ELEMENTS,
    FEEDBACKS,
    FILES,
    STEPS,
    THREADS,
    iso,
    owned_by,
)
from switchboard_persistence.elements import element_dict
from switchboard_persistence.step_reads import unique_steps
from switchboard_persistence.storage import ObjectStorage
from switchboard_persistence.validation import thread_of, validate_event

__all__ = (
    "ELEMENTS",
    "FEEDBACKS",
    "FILES",
    "STEPS",
    "THREADS",
    "Repository",
    "apply_events",
    "delete_objects",
    "iso",
    "thread_of",
    "validate_event",
)


@dataclass(frozen=True, slots=True)
class Repository:
    """The persistence database behind one engine."""

    engine: AsyncEngine
    # Where removed elements' files are deleted from; None leaves them (tests of SQL alone).
    storage: ObjectStorage | None = None

    async def ping(self) -> None:
        """Readiness: the database answers and the schema is migrated."""
        async with self.engine.connect() as conn:
            await conn.execute(select(THREADS.c.id).limit(1))

    async def apply(self, events: Sequence[PersistEvent]) -> None:
        """Apply events in order, all or nothing; then delete the objects they removed."""
        async with self.engine.begin() as conn:
            doomed = await apply_events(conn, events)
        await delete_objects(self.storage, doomed)

    async def get_element(
        self, thread_id: str, element_id: str, caller: str | None
    ) -> ElementDict | None:
        """The element when its thread is the caller's and not deleted."""
        t = THREADS.c
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(ELEMENTS)
                    .join(THREADS, t.id == ELEMENTS.c.thread_id)
                    .where(
                        ELEMENTS.c.id == element_id,
                        ELEMENTS.c.thread_id == thread_id,
                        owned_by(t.user_identifier, caller),
                        t.deleted_at.is_(None),
                    )
                )
            ).first()
        return element_dict(row._mapping) if row is not None else None

    async def get_thread(self, thread_id: str) -> ThreadDict | None:
        """The thread with its steps (creation order) and elements; None if absent or deleted."""
        async with self.engine.connect() as conn:
            thread = (
                await conn.execute(
                    select(THREADS).where(THREADS.c.id == thread_id, THREADS.c.deleted_at.is_(None))
                )
            ).first()
            if thread is None:
                return None
            c = STEPS.c
            step_rows = await conn.execute(
                select(
                    STEPS,
                    FEEDBACKS.c.id.label("fb_id"),
                    FEEDBACKS.c.value.label("fb_value"),
                    FEEDBACKS.c.comment.label("fb_comment"),
                )
                .outerjoin(
                    FEEDBACKS,
                    and_(FEEDBACKS.c.thread_id == c.thread_id, FEEDBACKS.c.for_id == c.id),
                )
                .where(c.thread_id == thread_id)
                .order_by(c.created_at.asc().nulls_last(), c.seq, c.id, FEEDBACKS.c.updated_at)
            )
            steps = unique_steps(step_rows)
            element_rows = await conn.execute(
                select(ELEMENTS)
                .where(ELEMENTS.c.thread_id == thread_id)
                .order_by(ELEMENTS.c.created_at, ELEMENTS.c.id)
            )
            elements = [element_dict(row._mapping) for row in element_rows]
        t = thread._mapping
        return ThreadDict(
            id=t["id"],
            createdAt=iso(t["created_at"]),
            name=t["name"],
            userId=t["user_id"],
            userIdentifier=t["user_identifier"],
            tags=t["tags"],
            metadata=t["metadata"] or {},
            steps=steps,
            elements=elements,
        )
