"""Feedback routes: rate a step of one's own thread, or take the rating back."""

from __future__ import annotations

from fastapi import APIRouter

from switchboard.schema.history import FeedbackIn, FeedbackSaved
from switchboard_persistence.errors import FeedbackNotFound
from switchboard_persistence.routes.deps import CallerDep, StoresDep, identifier, known_id

__all__ = ("router",)


def router() -> APIRouter:
    routes = APIRouter()

    @routes.put("/feedback")
    async def upsert_feedback(
        body: FeedbackIn,
        who: CallerDep,
        s: StoresDep,
    ) -> FeedbackSaved:
        saved = await s.conversations.upsert_feedback(identifier(who), body)
        if saved is None:
            raise FeedbackNotFound()
        return saved

    @routes.delete("/feedback/{feedback_id}")
    async def delete_feedback(
        feedback_id: str,
        who: CallerDep,
        s: StoresDep,
    ) -> dict[str, bool]:
        feedback_id = known_id(feedback_id, FeedbackNotFound)
        if not await s.conversations.delete_feedback(identifier(who), feedback_id):
            raise FeedbackNotFound()
        return {"success": True}

    return routes
