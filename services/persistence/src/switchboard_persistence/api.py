"""The persistence REST API, for internal callers holding a service token.

The token names the end user the calling service vouches for (or nobody, for
anonymous use). Every route checks ownership itself and answers 404 for what
that user may not see, so another user's ids reveal nothing.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, FastAPI

from switchboard.internal_auth import InternalCaller
from switchboard.schema import ThreadDict
from switchboard.service import service_caller
from switchboard_persistence.errors import ThreadNotFound
from switchboard_persistence.repository import Repository

__all__ = ("build_router", "visible_to")


def visible_to(thread: ThreadDict, who: InternalCaller) -> bool:
    """A thread is its owner's; an anonymous caller sees only threads without an owner."""
    caller: str | None = who.user.identifier if who.user is not None else None
    owner: str | None = thread.userIdentifier
    return owner == caller


def build_router(app: FastAPI) -> APIRouter:
    router = APIRouter()
    caller = service_caller(app, audience="persistence")

    def repository() -> Repository:
        repo: Repository = app.state.repository
        return repo

    @router.get("/threads/{thread_id}")
    async def get_thread(
        thread_id: str,
        who: InternalCaller = Depends(caller),
        repo: Repository = Depends(repository),
    ) -> dict[str, Any]:
        thread = await repo.get_thread(thread_id)
        if thread is None or not visible_to(thread, who):
            raise ThreadNotFound()
        body: dict[str, Any] = thread.model_dump(mode="json")
        return body

    return router
