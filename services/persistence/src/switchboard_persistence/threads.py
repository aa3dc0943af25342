"""The thread history routes' database side: list, rename, share, delete.

Every query is scoped to the caller (see :func:`owned_by`) and to threads not
deleted, so an id the caller may not see changes nothing and reads as absent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from switchboard.schema import ThreadDict
from switchboard.schema.history import PageInfo, ThreadListRequest, ThreadPage
from switchboard_persistence.apply import delete_objects
from switchboard_persistence.db.models import THREAD_NAME_MAX
from switchboard_persistence.db.sql import FEEDBACKS, FILES, STEPS, THREADS, clean, iso, owned_by
from switchboard_persistence.storage import ObjectStorage

__all__ = ("ThreadStore", "like_pattern")

_LIKE_ESCAPE = "\\"


def like_pattern(text: str) -> str:
    """A LIKE pattern matching ``text`` literally anywhere (``%`` and ``_`` escaped)."""
    escaped = text.replace(_LIKE_ESCAPE, _LIKE_ESCAPE * 2).replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


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
        first = request.pagination.first
        query = select(
            t.id, t.updated_at, t.name, t.user_id, t.user_identifier, t.tags, t["metadata"]
        ).where(t.user_identifier == owner, t.deleted_at.is_(None))
        # Stored text has its NULs dropped (PostgreSQL refuses them), so the search too.
        search = clean(request.filter.search)
        if search:
            pattern = like_pattern(search)
            in_steps = (
                select(STEPS.c.id)
                .where(STEPS.c.thread_id == t.id, STEPS.c.output.ilike(pattern, escape="\\"))
                .exists()
            )
            query = query.where(or_(t.name.ilike(pattern, escape="\\"), in_steps))
        if request.filter.feedback is not None:
            rated = (
                select(FEEDBACKS.c.id)
                .where(FEEDBACKS.c.thread_id == t.id, FEEDBACKS.c.value == request.filter.feedback)
                .exists()
            )
            query = query.where(rated)
        async with self.engine.connect() as conn:
            cursor = request.pagination.cursor
            if cursor:
                # The cursor thread may have been deleted meanwhile; it must still be the owner's.
                anchor = (
                    await conn.execute(
                        select(t.updated_at).where(t.id == cursor, t.user_identifier == owner)
                    )
                ).first()
                if anchor is None:
                    return ThreadPage(pageInfo=PageInfo(hasNextPage=False), data=[])
                at = anchor.updated_at
                query = query.where(or_(t.updated_at < at, and_(t.updated_at == at, t.id < cursor)))
            query = query.order_by(t.updated_at.desc(), t.id.desc()).limit(first + 1)
            rows = (await conn.execute(query)).all()
        data = [_listed(row) for row in rows[:first]]
        return ThreadPage(
            pageInfo=PageInfo(
                hasNextPage=len(rows) > first,
                startCursor=data[0].id if data else None,
                endCursor=data[-1].id if data else None,
            ),
            data=data,
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
            metadata: dict[str, Any] = dict(row._mapping["metadata"] or {})
            metadata["is_shared"] = is_shared
            if is_shared:
                metadata["shared_at"] = iso(datetime.now(UTC))
            else:
                metadata.pop("shared_at", None)
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
            doomed = await _drop_thread_files(conn, thread_id)
        await delete_objects(self.storage, doomed)
        return True


async def _drop_thread_files(conn: AsyncConnection, thread_id: str) -> list[str]:
    where = FILES.c.thread_id == thread_id
    keys = list((await conn.execute(select(FILES.c.object_key).where(where))).scalars())
    await conn.execute(delete(FILES).where(where))
    return keys
