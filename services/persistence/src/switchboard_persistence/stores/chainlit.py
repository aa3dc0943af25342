"""A database Chainlit 2.12's SQLAlchemy data layer created, used in place.

The app keeps its database: Switchboard reads the threads Chainlit wrote and writes
new ones Chainlit can read back, and runs no migration against it. At start it only
checks the tables are there (:meth:`ChainlitStore.open`). Uploaded files stay in
Switchboard's own database (``files_engine``): an element Switchboard writes points
at the gateway's file route; one Chainlit wrote keeps the URL Chainlit stored.

Owner checks are those of Switchboard's own schema: a thread is its
``userIdentifier``'s (or, when only ``userId`` is set, that user's identifier).
Deleting a thread removes its rows for good: Chainlit's schema has no soft delete.
Writes are :mod:`.chainlit_writes`, rows read :mod:`.chainlit_rows`, feedback
:mod:`.chainlit_feedback`; thread lists follow the rules of every SQL mode
(:mod:`.thread_listing`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, and_, delete, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from switchboard.schema import ElementDict, PersistEvent, StepDict, ThreadDict
from switchboard.schema.history import FeedbackIn, FeedbackSaved, ThreadListRequest, ThreadPage
from switchboard.schema.ids import is_uuid_id
from switchboard_persistence.apply import delete_objects
from switchboard_persistence.db.models import THREAD_NAME_MAX
from switchboard_persistence.db.sql import clean, owned_by
from switchboard_persistence.elements import attach_file, drop_element_files
from switchboard_persistence.storage import ObjectStorage
from switchboard_persistence.stores import chainlit_feedback
from switchboard_persistence.stores.base import ThreadOwner
from switchboard_persistence.stores.chainlit_rows import (
    element_from_row,
    mine,
    owner_of_thread,
    read_columns,
    step_from_row,
)
from switchboard_persistence.stores.chainlit_schema import (
    CL_ELEMENTS,
    CL_FEEDBACKS,
    CL_STEPS,
    CL_THREADS,
    missing_tables,
)
from switchboard_persistence.stores.chainlit_writes import (
    AttachedFile,
    Columns,
    FileLookup,
    apply_chainlit_events,
)
from switchboard_persistence.stores.thread_listing import ListedColumns, matching, read_page
from switchboard_persistence.thread_writes import merge_metadata, sharing
from switchboard_persistence.threads import drop_thread_files

__all__ = ("ChainlitSchemaMissing", "ChainlitStore")

_LISTED = ListedColumns(
    thread_id=CL_THREADS.c.id,
    thread_name=CL_THREADS.c.name,
    step_id=CL_STEPS.c.id,
    step_thread=CL_STEPS.c.threadId,
    step_output=CL_STEPS.c.output,
    feedback_id=CL_FEEDBACKS.c.id,
    feedback_thread=CL_FEEDBACKS.c.threadId,
    feedback_value=CL_FEEDBACKS.c.value,
)


class ChainlitSchemaMissing(RuntimeError):
    """The database named for chainlit mode lacks Chainlit's tables: refuse to start."""


@dataclass(frozen=True, slots=True)
class _SwitchboardFiles(FileLookup):
    """Uploaded files are rows of Switchboard's own database."""

    engine: AsyncEngine

    async def attach(self, file_id: str, thread_id: str) -> AttachedFile | None:
        async with self.engine.begin() as conn:
            row = await attach_file(conn, file_id, thread_id)
        return AttachedFile(object_key=row.object_key, mime=row.mime) if row is not None else None


@dataclass
class ChainlitStore:
    """Conversations in Chainlit's tables (``engine``); files in Switchboard's (``files_engine``)."""

    engine: AsyncEngine
    files_engine: AsyncEngine
    storage: ObjectStorage | None = None
    columns: Columns = field(default_factory=dict)

    @classmethod
    async def open(
        cls, engine: AsyncEngine, files_engine: AsyncEngine, storage: ObjectStorage | None
    ) -> ChainlitStore:
        """The store, once the database is known to hold Chainlit's tables."""
        async with engine.connect() as conn:
            missing = await missing_tables(conn)
            if missing:
                raise ChainlitSchemaMissing(
                    f"the Chainlit database {engine.url.render_as_string(hide_password=True)} "
                    f"lacks {', '.join(missing)}: point SWITCHBOARD_CHAINLIT_DATABASE_URL at the "
                    "database Chainlit's SQLAlchemy data layer uses (Switchboard never creates "
                    "or migrates it), or set SWITCHBOARD_PERSISTENCE_SCHEMA=switchboard"
                )
            columns = await read_columns(conn)
        return cls(engine, files_engine, storage, columns)

    # --- lifecycle ------------------------------------------------------------

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(select(CL_THREADS.c.id).limit(1))

    async def close(self) -> None:
        await self.engine.dispose()

    # --- write path -------------------------------------------------------------

    async def apply(self, events: Sequence[PersistEvent]) -> None:
        async with self.engine.begin() as conn:
            removed = await apply_chainlit_events(
                conn, events, _SwitchboardFiles(self.files_engine), self.columns
            )
        await self._drop_files(removed.files)

    async def _drop_files(self, per_thread: dict[str, list[str]]) -> None:
        """After the commit: the upload rows behind removed elements, then their objects."""
        doomed: list[str] = []
        for thread_id, keys in per_thread.items():
            if keys:
                async with self.files_engine.begin() as conn:
                    doomed += await drop_element_files(conn, thread_id, keys)
        await delete_objects(self.storage, doomed)

    # --- read path ----------------------------------------------------------------

    def cols(self, table: Any) -> list[Any]:
        """The table's columns this database has (a few are optional)."""
        have = self.columns.get(table.name)
        return [c for c in table.columns if have is None or c.name in have]

    async def thread_owner(self, thread_id: str) -> ThreadOwner | None:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(owner_of_thread().label("owner")).where(CL_THREADS.c.id == thread_id)
                )
            ).first()
        return ThreadOwner(row.owner) if row is not None else None

    async def get_thread(self, thread_id: str) -> ThreadDict | None:
        t, s, f, e = CL_THREADS.c, CL_STEPS.c, CL_FEEDBACKS.c, CL_ELEMENTS.c
        async with self.engine.connect() as conn:
            thread = (
                await conn.execute(
                    select(*CL_THREADS.columns, owner_of_thread().label("owner")).where(
                        t.id == thread_id
                    )
                )
            ).first()
            if thread is None:
                return None
            step_rows = await conn.execute(
                select(
                    *self.cols(CL_STEPS),
                    f.id.label("fb_id"),
                    f.value.label("fb_value"),
                    f.comment.label("fb_comment"),
                )
                .outerjoin(CL_FEEDBACKS, and_(f.forId == s.id, f.threadId == s.threadId))
                .where(s.threadId == thread_id)
                .order_by(s.createdAt.asc().nulls_last(), s.id, f.id)
            )
            steps: list[StepDict] = []
            seen: set[str] = set()
            for row in step_rows:
                m = row._mapping
                if m["id"] not in seen:  # one step per id, whatever feedback rows join
                    seen.add(m["id"])
                    steps.append(step_from_row(m))
            element_rows = await conn.execute(
                select(*self.cols(CL_ELEMENTS)).where(e.threadId == thread_id).order_by(e.id)
            )
            elements = [element_from_row(row._mapping) for row in element_rows]
        m = thread._mapping
        return ThreadDict(
            id=m["id"],
            createdAt=m["createdAt"] or "",
            name=m["name"],
            userId=m["userId"],
            userIdentifier=m["owner"],
            tags=m["tags"],
            metadata=m["metadata"] or {},
            steps=steps,
            elements=elements,
        )

    async def get_element(
        self, thread_id: str, element_id: str, caller: str | None
    ) -> ElementDict | None:
        if not is_uuid_id(element_id):
            return None
        e = CL_ELEMENTS.c
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(*self.cols(CL_ELEMENTS))
                    .join(CL_THREADS, CL_THREADS.c.id == e.threadId)
                    .where(e.id == element_id, *mine(thread_id, caller))
                )
            ).first()
        return element_from_row(row._mapping) if row is not None else None

    async def list_threads(self, owner: str, request: ThreadListRequest) -> ThreadPage:
        """Latest activity (the newest step, else the thread's creation) first, as Chainlit."""
        t, s = CL_THREADS.c, CL_STEPS.c
        activity = func.coalesce(
            select(func.max(s.createdAt)).where(s.threadId == t.id).scalar_subquery(),
            t.createdAt,
            literal(""),
        ).label("activity")
        inner = select(t.id, t.name, t.userId, t.tags, t.metadata, activity).where(
            owned_by(owner_of_thread(), owner)
        )
        listed = matching(inner, _LISTED, request).subquery()

        def anchor(cursor: str) -> Select[Any]:
            return select(activity).where(t.id == cursor, owned_by(owner_of_thread(), owner))

        def thread(r: Any) -> ThreadDict:
            return ThreadDict(
                id=r.id,
                createdAt=r.activity,
                name=r.name,
                userId=r.userId,
                userIdentifier=owner,
                tags=r.tags,
                metadata=r.metadata or {},
            )

        async with self.engine.connect() as conn:
            return await read_page(
                conn,
                select(listed),
                request,
                activity=listed.c.activity,
                thread_id=listed.c.id,
                anchor=anchor,
                listed=thread,
            )

    async def rename(self, thread_id: str, caller: str | None, name: str) -> bool:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(CL_THREADS)
                .where(*mine(thread_id, caller))
                .values(name=clean(name)[:THREAD_NAME_MAX])
            )
        return bool(result.rowcount)

    async def share(self, thread_id: str, caller: str | None, is_shared: bool) -> bool:
        async with self.engine.begin() as conn:
            row = (
                await conn.execute(
                    select(CL_THREADS.c.metadata).where(*mine(thread_id, caller)).with_for_update()
                )
            ).first()
            if row is None:
                return False
            metadata = merge_metadata(row.metadata, sharing(is_shared))
            await conn.execute(
                update(CL_THREADS).where(CL_THREADS.c.id == thread_id).values(metadata=metadata)
            )
        return True

    async def delete(self, thread_id: str, caller: str | None) -> bool:
        """The thread and everything in it, as Chainlit's ``delete_thread``; its uploads too."""
        async with self.engine.begin() as conn:
            owned = (
                await conn.execute(
                    select(CL_THREADS.c.id).where(*mine(thread_id, caller)).with_for_update()
                )
            ).first()
            if owned is None:
                return False
            for table in (CL_FEEDBACKS, CL_ELEMENTS, CL_STEPS):
                await conn.execute(delete(table).where(table.c.threadId == thread_id))
            await conn.execute(delete(CL_THREADS).where(CL_THREADS.c.id == thread_id))
        async with self.files_engine.begin() as conn:
            keys = await drop_thread_files(conn, thread_id)
        await delete_objects(self.storage, keys)
        return True

    # --- feedback ---------------------------------------------------------------------

    async def upsert_feedback(
        self, caller: str | None, feedback: FeedbackIn
    ) -> FeedbackSaved | None:
        """One feedback per step, as Switchboard's schema: a rating without an id replaces it."""
        return await chainlit_feedback.upsert_feedback(self.engine, caller, feedback)

    async def delete_feedback(self, caller: str | None, feedback_id: str) -> bool:
        return await chainlit_feedback.delete_feedback(self.engine, caller, feedback_id)

    # --- what the file routes ask -------------------------------------------------------

    async def thread_usable(self, thread_id: str, caller: str | None) -> bool:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(owner_of_thread().label("owner")).where(CL_THREADS.c.id == thread_id)
                )
            ).first()
        return row is None or row.owner in (None, caller)

    async def shows_file(self, thread_id: str, file_id: str) -> bool:
        e = CL_ELEMENTS.c
        shown = select(e.id).where(e.threadId == thread_id, e.chainlitKey == file_id).exists()
        async with self.engine.connect() as conn:
            return bool((await conn.execute(select(shown))).scalar())
