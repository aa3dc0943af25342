"""Feedback in Chainlit's ``feedbacks`` table, one per step as in Switchboard's schema.

A rating is accepted only for a step of the caller's own thread; a rating without an id
replaces the step's existing one, and one with an id must name that step's feedback.
"""

from __future__ import annotations

import uuid
from typing import cast

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from switchboard.schema.history import FeedbackIn, FeedbackSaved
from switchboard.schema.ids import is_uuid_id
from switchboard_persistence.db.sql import clean, owned_by
from switchboard_persistence.stores.chainlit_rows import owner_of_thread
from switchboard_persistence.stores.chainlit_schema import CL_FEEDBACKS, CL_STEPS, CL_THREADS

__all__ = ("delete_feedback", "upsert_feedback")


async def upsert_feedback(
    engine: AsyncEngine, caller: str | None, feedback: FeedbackIn
) -> FeedbackSaved | None:
    """Rate a step of the caller's thread; None when the step or feedback is not theirs."""
    if not is_uuid_id(feedback.forId):
        return None
    s, f, t = CL_STEPS.c, CL_FEEDBACKS.c, CL_THREADS.c
    async with engine.begin() as conn:
        step = (
            await conn.execute(
                select(s.threadId)
                .join(CL_THREADS, t.id == s.threadId)
                .where(s.id == feedback.forId, owned_by(owner_of_thread(), caller))
            )
        ).first()
        if step is None or (feedback.threadId and feedback.threadId != step.threadId):
            return None
        thread_id = cast(str, step.threadId)
        feedback_id: str | None
        if feedback.id is not None:
            named = (
                await conn.execute(select(f.forId, f.threadId).where(f.id == feedback.id))
            ).first()
            if named is None or named.forId != feedback.forId or named.threadId != thread_id:
                return None
            feedback_id = feedback.id
        else:
            feedback_id = (
                await conn.execute(
                    select(f.id)
                    .where(f.forId == feedback.forId, f.threadId == thread_id)
                    .order_by(f.id)
                    .limit(1)
                )
            ).scalar()
        values = {"value": feedback.value, "comment": clean(feedback.comment)}
        if feedback_id is None:
            feedback_id = str(uuid.uuid4())
            await conn.execute(
                CL_FEEDBACKS.insert().values(
                    id=feedback_id, forId=feedback.forId, threadId=thread_id, **values
                )
            )
        else:
            await conn.execute(update(CL_FEEDBACKS).where(f.id == feedback_id).values(**values))
    return FeedbackSaved(feedbackId=feedback_id, forId=feedback.forId, threadId=thread_id)


async def delete_feedback(engine: AsyncEngine, caller: str | None, feedback_id: str) -> bool:
    """Remove the caller's feedback; False when it is not theirs."""
    f, t = CL_FEEDBACKS.c, CL_THREADS.c
    async with engine.begin() as conn:
        owned = (
            await conn.execute(
                select(f.id)
                .join(CL_THREADS, t.id == f.threadId)
                .where(f.id == feedback_id, owned_by(owner_of_thread(), caller))
            )
        ).first()
        if owned is None:
            return False
        await conn.execute(delete(CL_FEEDBACKS).where(f.id == feedback_id))
    return True
