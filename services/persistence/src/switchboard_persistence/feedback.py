"""Feedback on steps: the caller may rate only steps of their own threads.

One feedback per step: a rating without an id replaces the step's existing one,
as the UI expects when a user changes their mind. Feedback ids are minted here;
a rating that names one updates that feedback when it is the caller's and on
that step. Any other id, someone else's or one nobody holds, is the same 404:
ids are never told apart, and a client-chosen id is never adopted.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from switchboard.schema.history import FeedbackIn, FeedbackSaved
from switchboard_persistence.db.sql import FEEDBACKS, STEPS, THREADS, clean, owned_by

__all__ = ("FeedbackStore",)


async def _step_thread(
    conn: AsyncConnection, step_id: str, caller: str | None, thread_id: str | None
) -> str | None:
    """The caller's live thread holding the step (``thread_id`` when the rating names it).

    Step ids are per thread: when several of the caller's threads hold the id, the
    most recently active one is meant.
    """
    t = THREADS.c
    query = (
        select(STEPS.c.thread_id)
        .join(THREADS, t.id == STEPS.c.thread_id)
        .where(STEPS.c.id == step_id, owned_by(t.user_identifier, caller), t.deleted_at.is_(None))
        .order_by(t.updated_at.desc(), t.id)
        .limit(1)
    )
    if thread_id:
        query = query.where(STEPS.c.thread_id == thread_id)
    row = (await conn.execute(query)).first()
    return str(row.thread_id) if row is not None else None


async def _owned_feedback(
    conn: AsyncConnection, feedback_id: str, caller: str | None
) -> Row[Any, Any] | None:
    """The feedback's thread and step when that thread is the caller's and not deleted."""
    t = THREADS.c
    return (
        await conn.execute(
            select(FEEDBACKS.c.thread_id, FEEDBACKS.c.for_id)
            .join(THREADS, t.id == FEEDBACKS.c.thread_id)
            .where(
                FEEDBACKS.c.id == feedback_id,
                owned_by(t.user_identifier, caller),
                t.deleted_at.is_(None),
            )
        )
    ).first()


async def _step_feedback(conn: AsyncConnection, step_id: str, thread_id: str) -> str | None:
    """The id of the step's feedback, if it has one (the oldest, should there be several)."""
    found: str | None = (
        await conn.execute(
            select(FEEDBACKS.c.id)
            .where(FEEDBACKS.c.for_id == step_id, FEEDBACKS.c.thread_id == thread_id)
            .order_by(FEEDBACKS.c.updated_at)
            .limit(1)
        )
    ).scalar()
    return found


@dataclass(frozen=True, slots=True)
class FeedbackStore:
    engine: AsyncEngine

    async def upsert(self, caller: str | None, feedback: FeedbackIn) -> FeedbackSaved | None:
        """Save the rating; None when the step, or the feedback named, is not the caller's."""
        now = datetime.now(UTC)
        async with self.engine.begin() as conn:
            feedback_id: str | None
            if feedback.id is not None:
                owned = await _owned_feedback(conn, feedback.id, caller)
                if (
                    owned is None
                    or owned.for_id != feedback.forId
                    or (feedback.threadId and feedback.threadId != owned.thread_id)
                ):
                    return None
                thread_id, feedback_id = str(owned.thread_id), feedback.id
            else:
                found = await _step_thread(conn, feedback.forId, caller, feedback.threadId)
                if found is None:
                    return None
                thread_id = found
                feedback_id = await _step_feedback(conn, feedback.forId, thread_id)
            values = {
                "for_id": feedback.forId,
                "thread_id": thread_id,
                "value": feedback.value,
                "comment": clean(feedback.comment),
                "updated_at": now,
            }
            if feedback_id is None:
                feedback_id = str(uuid.uuid4())
                await conn.execute(
                    FEEDBACKS.insert().values(id=feedback_id, created_at=now, **values)
                )
            else:
                await conn.execute(
                    update(FEEDBACKS).where(FEEDBACKS.c.id == feedback_id).values(**values)
                )
        return FeedbackSaved(feedbackId=feedback_id, forId=feedback.forId, threadId=thread_id)

    async def delete(self, caller: str | None, feedback_id: str) -> bool:
        async with self.engine.begin() as conn:
            if await _owned_feedback(conn, feedback_id, caller) is None:
                return False
            await conn.execute(delete(FEEDBACKS).where(FEEDBACKS.c.id == feedback_id))
        return True
