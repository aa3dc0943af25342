"""Thread routes: read, list, rename, share, delete, shared view, one element."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from switchboard.internal_auth import InternalCaller
from switchboard.schema import ElementDict, ThreadDict
from switchboard.schema.history import (
    RenameThread,
    SharedThread,
    ShareThread,
    ThreadListRequest,
    ThreadPage,
)
from switchboard_persistence.errors import ElementNotFound, ThreadNotFound, Unauthorized
from switchboard_persistence.routes.deps import CallerDep, StoresDep, identifier, known_id

__all__ = ("SHARED_HIDDEN_METADATA", "router", "visible_to")

# What a viewer of a shared thread must not see of its owner's session (as Chainlit).
SHARED_HIDDEN_METADATA = ("chat_profile", "chat_settings", "env")
_OK: dict[str, bool] = {"success": True}


def visible_to(thread: ThreadDict, who: InternalCaller) -> bool:
    """A thread is its owner's; an anonymous caller sees only threads without an owner."""
    owner: str | None = thread.userIdentifier
    return owner == identifier(who)


def router() -> APIRouter:
    routes = APIRouter()

    @routes.get("/threads/{thread_id}")
    async def get_thread(
        thread_id: str,
        who: CallerDep,
        s: StoresDep,
    ) -> dict[str, Any]:
        thread_id = known_id(thread_id, ThreadNotFound)
        # The owner is checked before the thread is read (a data layer is never asked
        # for another user's thread), and again on what was read.
        owner = await s.conversations.thread_owner(thread_id)
        if owner is None or owner.identifier != identifier(who):
            raise ThreadNotFound()
        thread = await s.conversations.get_thread(thread_id)
        if thread is None or not visible_to(thread, who):
            raise ThreadNotFound()
        body: dict[str, Any] = thread.model_dump(mode="json")
        return body

    @routes.post("/threads/search")
    async def search_threads(
        request: ThreadListRequest,
        who: CallerDep,
        s: StoresDep,
    ) -> ThreadPage:
        owner = identifier(who)
        if owner is None:
            raise Unauthorized()
        return await s.conversations.list_threads(owner, request)

    @routes.patch("/threads/{thread_id}")
    async def rename_thread(
        thread_id: str,
        body: RenameThread,
        who: CallerDep,
        s: StoresDep,
    ) -> dict[str, bool]:
        if not await s.conversations.rename(
            known_id(thread_id, ThreadNotFound), identifier(who), body.name
        ):
            raise ThreadNotFound()
        return _OK

    @routes.delete("/threads/{thread_id}")
    async def delete_thread(
        thread_id: str,
        who: CallerDep,
        s: StoresDep,
    ) -> dict[str, bool]:
        if not await s.conversations.delete(known_id(thread_id, ThreadNotFound), identifier(who)):
            raise ThreadNotFound()
        return _OK

    @routes.put("/threads/{thread_id}/share")
    async def share_thread(
        thread_id: str,
        body: ShareThread,
        who: CallerDep,
        s: StoresDep,
    ) -> dict[str, bool]:
        shared = body.isShared
        thread_id = known_id(thread_id, ThreadNotFound)
        if not await s.conversations.share(thread_id, identifier(who), shared):
            raise ThreadNotFound()
        return _OK

    @routes.get("/shared/{thread_id}")
    async def shared_thread(
        thread_id: str,
        _who: CallerDep,
        s: StoresDep,
    ) -> SharedThread:
        """Any caller: the gateway decides whether the thread may be shown."""
        thread = await s.conversations.get_thread(known_id(thread_id, ThreadNotFound))
        if thread is None:
            raise ThreadNotFound()
        metadata = {k: v for k, v in thread.metadata.items() if k not in SHARED_HIDDEN_METADATA}
        return SharedThread(
            isShared=bool(thread.metadata.get("is_shared")),
            thread=thread.model_copy(update={"metadata": metadata}),
        )

    @routes.get("/threads/{thread_id}/elements/{element_id}")
    async def get_element(
        thread_id: str,
        element_id: str,
        who: CallerDep,
        s: StoresDep,
    ) -> ElementDict:
        known_id(thread_id, ElementNotFound)
        known_id(element_id, ElementNotFound, app_chosen=True)
        element = await s.conversations.get_element(thread_id, element_id, identifier(who))
        if element is None:
            raise ElementNotFound()
        return element

    return routes
