"""Favourite messages over the socket: ``message_favorite`` and ``fetch_favorites``.

As in Chainlit, only a signed-in user with ``features.favorites`` on has favourites;
the flag lives in the step's metadata, kept by the persistence service, which checks
that the message is the user's. Every change is answered with the fresh list
(``set_favorites``); a message that is not the user's (or not stored yet) leaves
the list as it was.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from switchboard.schema.history import FavoriteIn
from switchboard.schema.ids import AppId, internal_path
from switchboard.schema.session import UserRef
from switchboard_gateway.upstream import Upstreams

__all__ = ("FavoriteRequest", "fetch_favorites", "set_favorite")

logger = logging.getLogger(__name__)


class _Metadata(BaseModel):
    model_config = ConfigDict(extra="ignore")

    favorite: bool = False


class _Message(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: AppId
    # The UI may hold a message before its thread is known: the session's thread then.
    threadId: str | None = Field(default=None, max_length=64)
    metadata: _Metadata = Field(default_factory=_Metadata)


class FavoriteRequest(BaseModel):
    """Chainlit's ``message_favorite`` body: the step, its wanted flag in metadata."""

    model_config = ConfigDict(extra="ignore")

    message: _Message

    @classmethod
    def parse(cls, data: Any) -> FavoriteRequest | None:
        try:
            return cls.model_validate(data)
        except ValidationError:
            return None


async def fetch_favorites(upstreams: Upstreams, user: UserRef) -> list[dict[str, Any]]:
    """The user's favourite messages, most recent first; none when persistence fails."""
    response = await upstreams.persistence.get(
        "/favorites", headers=upstreams.token_headers("persistence", user)
    )
    if response.status_code != 200:
        logger.warning("favourites not listed", extra={"status": response.status_code})
        return []
    body = response.json()
    return body if isinstance(body, list) else []


async def set_favorite(
    upstreams: Upstreams, user: UserRef, thread_id: str, request: FavoriteRequest
) -> dict[str, Any] | None:
    """Star or unstar one of the user's messages; the saved step, or None."""
    thread = request.message.threadId or thread_id
    response = await upstreams.persistence.put(
        internal_path("threads", thread, "steps", request.message.id, "favorite"),
        json=FavoriteIn(favorite=request.message.metadata.favorite).model_dump(),
        headers=upstreams.token_headers("persistence", user),
    )
    if response.status_code != 200:
        logger.info("favourite not set", extra={"status": response.status_code})
        return None
    saved: dict[str, Any] = response.json()
    return saved
