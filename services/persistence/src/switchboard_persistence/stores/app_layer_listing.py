"""Thread lists from an app's data layer, with cursors the browser can send back.

The browser's cursors are thread ids, as in every storage mode; the data layer's own
cursors (DynamoDB's are not uuids) are remembered per process. A cursor this process
has not handed out (another replica did) is found again by paging from the start.
"""

from __future__ import annotations

from switchboard.data.base import BaseDataLayer
from switchboard.schema.history import PageInfo, ThreadListRequest, ThreadPage
from switchboard.sdk.pagination import Pagination, ThreadFilter
from switchboard_persistence.stores.app_layer_memory import LayerMemory
from switchboard_persistence.stores.app_layer_shapes import thread_dict

__all__ = ("list_layer_threads",)

# Pages walked to find a cursor this process has not handed out.
_MAX_WALK = 1_000


def _empty() -> ThreadPage:
    return ThreadPage(pageInfo=PageInfo(hasNextPage=False), data=[])


async def list_layer_threads(
    layer: BaseDataLayer, memory: LayerMemory, owner: str, request: ThreadListRequest
) -> ThreadPage:
    """A page of ``owner``'s threads: ``list_threads`` asked for their user id only."""
    user = await layer.get_user(owner)
    if user is None:
        return _empty()
    wanted = request.filter
    filters = ThreadFilter(userId=user.id, search=wanted.search, feedback=wanted.feedback)
    first = request.pagination.first
    cursor = request.pagination.cursor
    layer_cursor: str | None = None
    if cursor is not None:
        layer_cursor = memory.cursors.get(f"{owner}\n{cursor}")
        if layer_cursor is None:
            layer_cursor = await _walk_to(layer, filters, first, cursor)
            if layer_cursor is None:
                return _empty()
    page = await layer.list_threads(Pagination(first=first, cursor=layer_cursor), filters)
    threads = []
    for raw in page.data:
        thread = thread_dict(memory, raw, owner)
        if thread is None or thread.userIdentifier not in (None, owner):
            continue  # anything another user owns is dropped
        # A listing names threads; their steps are read when one is opened.
        threads.append(thread.model_copy(update={"steps": [], "elements": []}))
    end = threads[-1].id if threads else None
    more = bool(page.pageInfo.hasNextPage) and end is not None
    if more and end is not None and page.pageInfo.endCursor is not None:
        memory.cursors.remember(f"{owner}\n{end}", page.pageInfo.endCursor)
    return ThreadPage(
        pageInfo=PageInfo(
            hasNextPage=more,
            startCursor=threads[0].id if threads else None,
            endCursor=end if more else None,
        ),
        data=threads,
    )


async def _walk_to(
    layer: BaseDataLayer, filters: ThreadFilter, first: int, thread_id: str
) -> str | None:
    """The data layer's cursor after ``thread_id``, paging from the start (cursor not known)."""
    layer_cursor: str | None = None
    for _ in range(_MAX_WALK):
        page = await layer.list_threads(Pagination(first=first, cursor=layer_cursor), filters)
        ids = [str(t["id"]) for t in page.data]
        if thread_id in ids:
            if ids[-1] == thread_id:
                return page.pageInfo.endCursor
            # Chainlit's SQL layer takes a thread id as its cursor.
            return thread_id
        if not page.pageInfo.hasNextPage or not page.pageInfo.endCursor:
            return None
        layer_cursor = page.pageInfo.endCursor
    return None
