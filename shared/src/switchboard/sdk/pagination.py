"""Thread paging shapes with Chainlit's names, for data-layer code in apps.

Cursors are thread ids: a page's ``endCursor`` is the ``cursor`` of the next
request (reference §4.5).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel

__all__ = ("PageInfo", "PaginatedResponse", "Pagination", "ThreadFilter")

T = TypeVar("T")


class Pagination(BaseModel):
    first: int
    cursor: str | None = None


class ThreadFilter(BaseModel):
    feedback: Literal[0, 1] | None = None
    userId: str | None = None
    search: str | None = None


@dataclass
class PageInfo:
    hasNextPage: bool
    startCursor: str | None
    endCursor: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "hasNextPage": self.hasNextPage,
            "startCursor": self.startCursor,
            "endCursor": self.endCursor,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PageInfo:
        return cls(
            hasNextPage=bool(data.get("hasNextPage", False)),
            startCursor=data.get("startCursor"),
            endCursor=data.get("endCursor"),
        )


@dataclass
class PaginatedResponse(Generic[T]):
    pageInfo: PageInfo
    data: list[T]

    def to_dict(self) -> dict[str, Any]:
        return {
            "pageInfo": self.pageInfo.to_dict(),
            "data": [d.to_dict() if hasattr(d, "to_dict") else d for d in self.data],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], item_type: Any = None) -> PaginatedResponse[Any]:
        """``item_type.from_dict`` builds each item when given, as in Chainlit."""
        items = list(data["data"])
        if item_type is not None:
            items = [item_type.from_dict(item) for item in items]
        return cls(pageInfo=PageInfo.from_dict(data["pageInfo"]), data=items)
