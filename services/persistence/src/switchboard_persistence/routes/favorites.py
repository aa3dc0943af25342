"""Favourite routes: star or unstar a message of one's own thread, list one's favourites."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from switchboard.schema.history import FavoriteIn
from switchboard_persistence.errors import ThreadNotFound, Unauthorized
from switchboard_persistence.favorites import FavoriteStore
from switchboard_persistence.routes.deps import CallerDep, StoresDep, identifier, known_id
from switchboard_persistence.stores.switchboard import SwitchboardStore

__all__ = ("router",)


def _store(conversations: object) -> FavoriteStore | None:
    """Favourites live in Switchboard's own schema; other storage modes keep none."""
    if isinstance(conversations, SwitchboardStore):
        return FavoriteStore(conversations.engine)
    return None


def router() -> APIRouter:
    routes = APIRouter()

    @routes.get("/favorites")
    async def list_favorites(who: CallerDep, s: StoresDep) -> list[dict[str, Any]]:
        owner = identifier(who)
        if owner is None:
            raise Unauthorized()
        store = _store(s.conversations)
        if store is None:
            return []
        return [step.model_dump(mode="json") for step in await store.list(owner)]

    @routes.put("/threads/{thread_id}/steps/{step_id}/favorite")
    async def set_favorite(
        thread_id: str, step_id: str, body: FavoriteIn, who: CallerDep, s: StoresDep
    ) -> dict[str, Any]:
        thread_id = known_id(thread_id, ThreadNotFound)
        step_id = known_id(step_id, ThreadNotFound, app_chosen=True)
        store = _store(s.conversations)
        saved = None
        if store is not None:
            saved = await store.set(thread_id, step_id, identifier(who), body.favorite)
        if saved is None:
            raise ThreadNotFound()
        return saved.model_dump(mode="json")

    return routes
