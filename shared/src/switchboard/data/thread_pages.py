"""What every data layer's ``list_threads`` does the same way, whatever it stores in.

A listing is always one user's (Chainlit's layers refuse to list everybody's), and a
page is cut from the matches found past the cursor: a layer fetches at least one
match more than the page holds, so whether a next page exists is known without a
second query. How matches are found (SQL, a DynamoDB index) and what a cursor is (a
thread id, a DynamoDB key) stay with each layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from switchboard.sdk.dicts import ThreadDict
from switchboard.sdk.pagination import PageInfo, PaginatedResponse, ThreadFilter

__all__ = ("listing_owner", "split_page", "thread_page")

T = TypeVar("T")


def listing_owner(filters: ThreadFilter, missing: str) -> str:
    """The ``userId`` the listing is for; ``ValueError(missing)`` when there is none."""
    if not filters.userId:
        raise ValueError(missing)
    return filters.userId


def split_page(matches: Sequence[T], size: int) -> tuple[list[T], bool]:
    """The first ``size`` of the matches following the cursor, and whether more follow."""
    return list(matches[: max(size, 0)]), len(matches) > size


def thread_page(
    threads: list[ThreadDict], *, more: bool, start: str | None, end: str | None
) -> PaginatedResponse[ThreadDict]:
    """The response Chainlit's UI pages with: ``end`` is the cursor of the next page."""
    return PaginatedResponse(
        pageInfo=PageInfo(hasNextPage=more, startCursor=start, endCursor=end),
        data=threads,
    )
