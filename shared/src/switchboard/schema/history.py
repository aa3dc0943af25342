"""Bodies of the persistence service's HTTP API (history, sharing, feedback, files).

The gateway speaks Chainlit's REST shapes to browsers and these to the
persistence service; both sides validate them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from switchboard.schema.ids import AppId, OptionalUuidId
from switchboard.schema.steps import ThreadDict

__all__ = (
    "FavoriteIn",
    "FeedbackIn",
    "FeedbackSaved",
    "PageInfo",
    "Pagination",
    "RenameThread",
    "ShareThread",
    "SharedThread",
    "StoredFile",
    "ThreadFilter",
    "ThreadListRequest",
    "ThreadPage",
)

# The sidebar asks for 35, search for 20; nobody needs more than this per page.
MAX_PAGE_SIZE = 100


class Pagination(BaseModel):
    first: int = Field(default=20, ge=1, le=MAX_PAGE_SIZE)
    # The id of the last thread of the previous page.
    cursor: OptionalUuidId = None


class ThreadFilter(BaseModel):
    model_config = ConfigDict(extra="ignore")

    feedback: Literal[0, 1] | None = None
    # Chainlit sends it; the server always replaces it with the caller.
    userId: str | None = None
    search: str | None = Field(default=None, max_length=256)


class ThreadListRequest(BaseModel):
    pagination: Pagination = Field(default_factory=Pagination)
    filter: ThreadFilter = Field(default_factory=ThreadFilter)


class PageInfo(BaseModel):
    hasNextPage: bool
    startCursor: str | None = None
    endCursor: str | None = None


class ThreadPage(BaseModel):
    pageInfo: PageInfo
    data: list[ThreadDict]


class RenameThread(BaseModel):
    name: str = Field(min_length=1, max_length=255)


class ShareThread(BaseModel):
    isShared: bool


class FavoriteIn(BaseModel):
    """``PUT /threads/{id}/steps/{id}/favorite``: star or unstar one of the caller's messages."""

    model_config = ConfigDict(extra="forbid")

    favorite: bool


class SharedThread(BaseModel):
    """A thread as a non-owner may see it, plus whether its owner shared it."""

    isShared: bool
    thread: ThreadDict


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    forId: AppId
    value: Literal[0, 1]
    threadId: OptionalUuidId = None
    # Present when the browser changes a rating it made before.
    id: OptionalUuidId = None
    comment: str | None = Field(default=None, max_length=10_000)


class FeedbackSaved(BaseModel):
    feedbackId: str
    forId: str
    threadId: str


class StoredFile(BaseModel):
    """A file in object storage, as the persistence service recorded it."""

    id: str
    name: str
    mime: str
    size: int
    objectKey: str
    sessionId: str | None = None
    threadId: str | None = None
    userIdentifier: str | None = None
