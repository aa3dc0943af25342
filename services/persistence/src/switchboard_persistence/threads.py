"""The thread history routes' database side: list, rename, share, delete.

Every query is scoped to the caller (see :func:`owned_by`) and to threads not
deleted, so an id the caller may not see changes nothing and reads as absent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from switchboard.schema import ThreadDict
from switchboard.schema.history import ThreadListRequest, ThreadPage
from switchboard_persistence.apply import delete_objects
from switchboard_persistence.db.models import THREAD_NAME_MAX
from switchboard_persistence.db.sql import FEEDBACKS, FILES, STEPS, THREADS, clean, iso, owned_by
from switchboard_persistence.storage import ObjectStorage
from switchboard_persistence.stores.thread_listing import ListedColumns, matching, read_page
from switchboard_persistence.thread_writes import merge_metadata, sharing

__all__ = ("ThreadStore", "drop_thread_files")

_LISTED = ListedColumns(
    thread_id=THREADS.c.id,
    thread_name=THREADS.c.name,
    step_id=STEPS.c.id,
    step_thread=STEPS.c.thread_id,
    step_output=STEPS.c.output,
    feedback_id=FEEDBACKS.c.id,
    feedback_thread=FEEDBACKS.c.thread_id,
    feedback_value=FEEDBACKS.c.value,
)


def _visible(thread_id: str, caller: str | None) -> tuple[Any, ...]:
    t = THREADS.c
    return (t.id == thread_id, owned_by(t.user_identifier, caller), t.deleted_at.is_(None))


def _listed(row: Any) -> ThreadDict:
    # As Chainlit's list: the sidebar groups by ``createdAt``, which is the last activity.
    m = row._mapping
    return ThreadDict(
        id=m["id"],
        createdAt=iso(m["updated_at"]),
        name=m["name"],
        userId=m["user_id"],
        userIdentifier=m["user_identifier"],
        tags=m["tags"],
        metadata=m["metadata"] or {},
    )


@dataclass(frozen=True, slots=True)
class ThreadStore:
    engine: AsyncEngine
    storage: ObjectStorage | None = None

    async def list_threads(self, owner: str, request: ThreadListRequest) -> ThreadPage:
        """A page of the owner's threads, latest activity first; cursor = last thread id."""
        t = THREADS.c
        query = select(
            t.id, t.updated_at, t.name, t.user_id, t.user_identifier, t.tags, t["metadata"]
        ).where(t.user_identifier == owner, t.deleted_at.is_(None))

        def anchor(cursor: str) -> Select[Any]:
            # The cursor thread may have been deleted meanwhile; it must still be the owner's.
            return select(t.updated_at).where(t.id == cursor, t.user_identifier == owner)

        async with self.engine.connect() as conn:
            return await read_page(
                conn,
                matching(query, _LISTED, request),
                request,
                activity=t.updated_at,
                thread_id=t.id,
                anchor=anchor,
                listed=_listed,
            )

    async def rename(self, thread_id: str, caller: str | None, name: str) -> bool:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(THREADS)
                .where(*_visible(thread_id, caller))
                .values(name=clean(name)[:THREAD_NAME_MAX])
            )
        return bool(result.rowcount)

    async def share(self, thread_id: str, caller: str | None, is_shared: bool) -> bool:
        """Set ``metadata.is_shared``; ``shared_at`` is set on sharing and removed on unsharing."""
        async with self.engine.begin() as conn:
            row = (
                await conn.execute(
                    select(THREADS.c["metadata"])
                    .where(*_visible(thread_id, caller))
                    .with_for_update()
                )
            ).first()
            if row is None:
                return False
            metadata = merge_metadata(row._mapping["metadata"], sharing(is_shared))
            await conn.execute(
                update(THREADS).where(THREADS.c.id == thread_id).values(metadata=metadata)
            )
        return True

    async def delete(self, thread_id: str, caller: str | None) -> bool:
        """Soft-delete the thread; its files' rows and stored objects go for good."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(THREADS)
                .where(*_visible(thread_id, caller))
                .values(deleted_at=datetime.now(UTC))
            )
            if not result.rowcount:
                return False
            doomed = await drop_thread_files(conn, thread_id)
        await delete_objects(self.storage, doomed)
        return True


async def drop_thread_files(conn: AsyncConnection, thread_id: str) -> list[str]:
    """Remove the rows of the thread's uploaded files; their object keys, to delete after."""
    where = FILES.c.thread_id == thread_id
    keys = list((await conn.execute(select(FILES.c.object_key).where(where))).scalars())
    await conn.execute(delete(FILES).where(where))
    return keys
