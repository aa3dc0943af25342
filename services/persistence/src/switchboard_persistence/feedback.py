"""Feedback on steps: the caller may rate only steps of their own threads.

One feedback per step: a rating without an id replaces the step's existing one,
as the UI expects when a user changes their mind.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from switchboard.schema.history import FeedbackIn, FeedbackSaved
from switchboard_persistence.db.sql import FEEDBACKS, STEPS, THREADS, clean, owned_by

__all__ = ("FeedbackStore",)


async def _step_thread(conn: AsyncConnection, step_id: str, caller: str | None) -> str | None:
    """The thread of the step when it is the caller's and not deleted."""
    t = THREADS.c
    row = (
        await conn.execute(
            select(STEPS.c.thread_id)
            .join(THREADS, t.id == STEPS.c.thread_id)
            .where(
                STEPS.c.id == step_id,
                owned_by(t.user_identifier, caller),
                t.deleted_at.is_(None),
            )
        )
    ).first()
    return str(row.thread_id) if row is not None else None


async def _owned_feedback(
    conn: AsyncConnection, feedback_id: str, caller: str | None
) -> str | None:
    """The thread of the feedback when that thread is the caller's and not deleted."""
    t = THREADS.c
    row = (
        await conn.execute(
            select(FEEDBACKS.c.thread_id)
            .join(THREADS, t.id == FEEDBACKS.c.thread_id)
            .where(
                FEEDBACKS.c.id == feedback_id,
                owned_by(t.user_identifier, caller),
                t.deleted_at.is_(None),
            )
        )
    ).first()
    return str(row.thread_id) if row is not None else None


async def _exists(conn: AsyncConnection, feedback_id: str) -> bool:
    row = await conn.execute(select(FEEDBACKS.c.id).where(FEEDBACKS.c.id == feedback_id))
    return row.first() is not None


@dataclass(frozen=True, slots=True)
class FeedbackStore:
    engine: AsyncEngine

    async def upsert(self, caller: str | None, feedback: FeedbackIn) -> FeedbackSaved | None:
        """Save the rating; None when the step or the feedback id is not the caller's."""
        now = datetime.now(UTC)
        async with self.engine.begin() as conn:
            thread_id = await _step_thread(conn, feedback.forId, caller)
            if thread_id is None or (feedback.threadId and feedback.threadId != thread_id):
                return None
            feedback_id = feedback.id
            if feedback_id is None:
                feedback_id = (
                    await conn.execute(
                        select(FEEDBACKS.c.id)
                        .where(
                            FEEDBACKS.c.for_id == feedback.forId,
                            FEEDBACKS.c.thread_id == thread_id,
                        )
                        .order_by(FEEDBACKS.c.updated_at)
                        .limit(1)
                    )
                ).scalar()
            values = {
                "for_id": feedback.forId,
                "thread_id": thread_id,
                "value": feedback.value,
                "comment": clean(feedback.comment),
                "updated_at": now,
            }
            if feedback_id is None:
                feedback_id = str(uuid.uuid4())
            elif await _exists(conn, feedback_id):
                # Someone else's id must not be taken over, nor told apart from a bad step.
                if await _owned_feedback(conn, feedback_id, caller) != thread_id:
                    return None
                await conn.execute(
                    update(FEEDBACKS).where(FEEDBACKS.c.id == feedback_id).values(**values)
                )
                return FeedbackSaved(
                    feedbackId=feedback_id, forId=feedback.forId, threadId=thread_id
                )
            await conn.execute(FEEDBACKS.insert().values(id=feedback_id, created_at=now, **values))
        return FeedbackSaved(feedbackId=feedback_id, forId=feedback.forId, threadId=thread_id)

    async def delete(self, caller: str | None, feedback_id: str) -> bool:
        async with self.engine.begin() as conn:
            if await _owned_feedback(conn, feedback_id, caller) is None:
                return False
            await conn.execute(delete(FEEDBACKS).where(FEEDBACKS.c.id == feedback_id))
        return True
