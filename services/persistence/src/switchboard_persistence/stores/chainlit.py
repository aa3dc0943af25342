"""A database Chainlit 2.12's SQLAlchemy data layer created, used in place.

The app keeps its database: Switchboard reads the threads Chainlit wrote and writes
new ones Chainlit can read back, and runs no migration against it. At start it only
checks the tables are there (:meth:`ChainlitStore.open`). Uploaded files stay in
Switchboard's own database (``files_engine``): an element Switchboard writes points
at the gateway's file route; one Chainlit wrote keeps the URL Chainlit stored.

Owner checks are those of Switchboard's own schema: a thread is its
``userIdentifier``'s (or, when only ``userId`` is set, that user's identifier).
Deleting a thread removes its rows for good: Chainlit's schema has no soft delete.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    and_,
    delete,
    func,
    inspect,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from switchboard.schema import (
    ElementDict,
    FeedbackDict,
    PersistEvent,
    StepDict,
    ThreadDict,
)
from switchboard.schema.history import (
    FeedbackIn,
    FeedbackSaved,
    PageInfo,
    ThreadListRequest,
    ThreadPage,
)
from switchboard.schema.ids import is_uuid_id
from switchboard.schema.steps import STEP_TYPES
from switchboard_persistence.apply import delete_objects
from switchboard_persistence.db.models import THREAD_NAME_MAX
from switchboard_persistence.db.sql import FILES, clean, iso, owned_by
from switchboard_persistence.elements import FILE_ROUTE, drop_element_files, safe_url
from switchboard_persistence.storage import ObjectStorage
from switchboard_persistence.stores.base import ThreadOwner
from switchboard_persistence.stores.chainlit_schema import (
    CHAINLIT_TABLES,
    CL_ELEMENTS,
    CL_FEEDBACKS,
    CL_STEPS,
    CL_THREADS,
    CL_USERS,
    missing_tables,
)
from switchboard_persistence.stores.chainlit_writes import (
    AttachedFile,
    Columns,
    FileLookup,
    apply_chainlit_events,
)
from switchboard_persistence.threads import like_pattern

__all__ = ("ChainlitSchemaMissing", "ChainlitStore")

_DISPLAYS = ("inline", "side", "page")


class ChainlitSchemaMissing(RuntimeError):
    """The database named for chainlit mode lacks Chainlit's tables: refuse to start."""


def _owner() -> ColumnElement[Any]:
    """A thread's owner: ``userIdentifier``, else the identifier of its ``userId``."""
    t, u = CL_THREADS.c, CL_USERS.c
    by_id = select(u.identifier).where(u.id == t.userId).scalar_subquery()
    return func.coalesce(t.userIdentifier, by_id)


def _mine(thread_id: str, caller: str | None) -> tuple[ColumnElement[bool], ...]:
    return (CL_THREADS.c.id == thread_id, owned_by(_owner(), caller))


async def _columns(conn: AsyncConnection) -> Columns:
    def look(sync_conn: Any) -> Columns:
        inspector = inspect(sync_conn)
        return {
            t.name: frozenset(c["name"] for c in inspector.get_columns(t.name))
            for t in CHAINLIT_TABLES
        }

    return await conn.run_sync(look)


def _show_input(value: Any) -> bool | str | None:
    if value is None:
        return None
    text = str(value)
    return {"true": True, "false": False}.get(text.lower(), text)


def _step(m: Any) -> StepDict:
    feedback = None
    if m["fb_id"] is not None:
        feedback = FeedbackDict(
            forId=m["id"], id=m["fb_id"], value=1 if m["fb_value"] else 0, comment=m["fb_comment"]
        )
    kind = m["type"] if m["type"] in STEP_TYPES else "undefined"
    get = m.get
    return StepDict(
        id=m["id"],
        threadId=m["threadId"],
        parentId=m["parentId"],
        name=m["name"],
        type=kind,
        input=m["input"],
        output=m["output"],
        metadata=m["metadata"] or {},
        tags=m["tags"],
        isError=m["isError"],
        streaming=m["streaming"],
        waitForAnswer=m["waitForAnswer"],
        createdAt=m["createdAt"],
        start=m["start"],
        end=m["end"],
        command=get("command"),
        modes=get("modes") or None,
        generation=get("generation") or None,
        showInput=_show_input(m["showInput"]),
        language=get("language"),
        defaultOpen=get("defaultOpen"),
        autoCollapse=get("autoCollapse"),
        icon=get("icon"),
        feedback=feedback,
    )


def _element(m: Any) -> ElementDict:
    url: str | None = m["url"]
    served = url if url and url.startswith(FILE_ROUTE.split("{", 1)[0]) else safe_url(url)
    get = m.get
    return ElementDict(
        id=m["id"],
        threadId=m["threadId"],
        type=m["type"] or "file",
        chainlitKey=m["chainlitKey"],
        path=None,
        url=served,
        objectKey=m["objectKey"],
        name=m["name"],
        display=m["display"] if m["display"] in _DISPLAYS else "inline",
        size=m["size"],
        language=m["language"],
        page=m["page"],
        props=get("props"),
        autoPlay=get("autoPlay"),
        playerConfig=get("playerConfig"),
        forId=m["forId"],
        mime=get("mime"),
    )


@dataclass(frozen=True, slots=True)
class _SwitchboardFiles(FileLookup):
    """Uploaded files are rows of Switchboard's own database."""

    engine: AsyncEngine

    async def attach(self, file_id: str, thread_id: str) -> AttachedFile | None:
        usable = or_(FILES.c.thread_id == thread_id, FILES.c.thread_id.is_(None))
        async with self.engine.begin() as conn:
            row = (await conn.execute(select(FILES).where(FILES.c.id == file_id, usable))).first()
            if row is None:
                return None
            if row.thread_id is None:
                await conn.execute(
                    update(FILES).where(FILES.c.id == file_id).values(thread_id=thread_id)
                )
        return AttachedFile(object_key=row.object_key, mime=row.mime)


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
            columns = await _columns(conn)
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
                    select(_owner().label("owner")).where(CL_THREADS.c.id == thread_id)
                )
            ).first()
        return ThreadOwner(row.owner) if row is not None else None

    async def get_thread(self, thread_id: str) -> ThreadDict | None:
        t, s, f, e = CL_THREADS.c, CL_STEPS.c, CL_FEEDBACKS.c, CL_ELEMENTS.c
        async with self.engine.connect() as conn:
            thread = (
                await conn.execute(
                    select(*CL_THREADS.columns, _owner().label("owner")).where(t.id == thread_id)
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
                    steps.append(_step(m))
            element_rows = await conn.execute(
                select(*self.cols(CL_ELEMENTS)).where(e.threadId == thread_id).order_by(e.id)
            )
            elements = [_element(row._mapping) for row in element_rows]
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
                    .where(e.id == element_id, *_mine(thread_id, caller))
                )
            ).first()
        return _element(row._mapping) if row is not None else None

    async def list_threads(self, owner: str, request: ThreadListRequest) -> ThreadPage:
        """Latest activity (the newest step, else the thread's creation) first, as Chainlit."""
        t, s = CL_THREADS.c, CL_STEPS.c
        first = request.pagination.first
        activity = func.coalesce(
            select(func.max(s.createdAt)).where(s.threadId == t.id).scalar_subquery(),
            t.createdAt,
            literal(""),
        ).label("activity")
        inner = select(t.id, t.name, t.userId, t.tags, t.metadata, activity).where(
            owned_by(_owner(), owner)
        )
        search = clean(request.filter.search)
        if search:
            pattern = like_pattern(search)
            in_steps = (
                select(s.id)
                .where(s.threadId == t.id, s.output.ilike(pattern, escape="\\"))
                .exists()
            )
            inner = inner.where(or_(t.name.ilike(pattern, escape="\\"), in_steps))
        if request.filter.feedback is not None:
            f = CL_FEEDBACKS.c
            rated = (
                select(f.id).where(f.threadId == t.id, f.value == request.filter.feedback).exists()
            )
            inner = inner.where(rated)
        listed = inner.subquery()
        query = select(listed)
        async with self.engine.connect() as conn:
            cursor = request.pagination.cursor
            if cursor:
                anchor = (
                    await conn.execute(
                        select(activity).where(t.id == cursor, owned_by(_owner(), owner))
                    )
                ).first()
                if anchor is None:
                    return ThreadPage(pageInfo=PageInfo(hasNextPage=False), data=[])
                at = anchor.activity
                lc = listed.c
                query = query.where(or_(lc.activity < at, and_(lc.activity == at, lc.id < cursor)))
            query = query.order_by(listed.c.activity.desc(), listed.c.id.desc()).limit(first + 1)
            rows = (await conn.execute(query)).all()
        data = [
            ThreadDict(
                id=r.id,
                createdAt=r.activity,
                name=r.name,
                userId=r.userId,
                userIdentifier=owner,
                tags=r.tags,
                metadata=r.metadata or {},
            )
            for r in rows[:first]
        ]
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
                update(CL_THREADS)
                .where(*_mine(thread_id, caller))
                .values(name=clean(name)[:THREAD_NAME_MAX])
            )
        return bool(result.rowcount)

    async def share(self, thread_id: str, caller: str | None, is_shared: bool) -> bool:
        async with self.engine.begin() as conn:
            row = (
                await conn.execute(
                    select(CL_THREADS.c.metadata).where(*_mine(thread_id, caller)).with_for_update()
                )
            ).first()
            if row is None:
                return False
            metadata: dict[str, Any] = dict(row.metadata or {})
            metadata["is_shared"] = is_shared
            if is_shared:
                metadata["shared_at"] = iso(datetime.now(UTC))
            else:
                metadata.pop("shared_at", None)
            await conn.execute(
                update(CL_THREADS).where(CL_THREADS.c.id == thread_id).values(metadata=metadata)
            )
        return True

    async def delete(self, thread_id: str, caller: str | None) -> bool:
        """The thread and everything in it, as Chainlit's ``delete_thread``; its uploads too."""
        async with self.engine.begin() as conn:
            owned = (
                await conn.execute(
                    select(CL_THREADS.c.id).where(*_mine(thread_id, caller)).with_for_update()
                )
            ).first()
            if owned is None:
                return False
            for table in (CL_FEEDBACKS, CL_ELEMENTS, CL_STEPS):
                await conn.execute(delete(table).where(table.c.threadId == thread_id))
            await conn.execute(delete(CL_THREADS).where(CL_THREADS.c.id == thread_id))
        where = FILES.c.thread_id == thread_id
        async with self.files_engine.begin() as conn:
            keys = list((await conn.execute(select(FILES.c.object_key).where(where))).scalars())
            await conn.execute(delete(FILES).where(where))
        await delete_objects(self.storage, keys)
        return True

    # --- feedback ---------------------------------------------------------------------

    async def upsert_feedback(
        self, caller: str | None, feedback: FeedbackIn
    ) -> FeedbackSaved | None:
        """One feedback per step, as Switchboard's schema: a rating without an id replaces it."""
        if not is_uuid_id(feedback.forId):
            return None
        s, f, t = CL_STEPS.c, CL_FEEDBACKS.c, CL_THREADS.c
        async with self.engine.begin() as conn:
            step = (
                await conn.execute(
                    select(s.threadId)
                    .join(CL_THREADS, t.id == s.threadId)
                    .where(s.id == feedback.forId, owned_by(_owner(), caller))
                )
            ).first()
            if step is None or (feedback.threadId and feedback.threadId != step.threadId):
                return None
            thread_id = cast(str, step.threadId)
            feedback_id: str | None
            if feedback.id is not None:
                named = (
                    await conn.execute(select(f.forId, f.threadId).where(f.id == feedback.id))
                ).first()
                if named is None or named.forId != feedback.forId or named.threadId != thread_id:
                    return None
                feedback_id = feedback.id
            else:
                feedback_id = (
                    await conn.execute(
                        select(f.id)
                        .where(f.forId == feedback.forId, f.threadId == thread_id)
                        .order_by(f.id)
                        .limit(1)
                    )
                ).scalar()
            values = {"value": feedback.value, "comment": clean(feedback.comment)}
            if feedback_id is None:
                feedback_id = str(uuid.uuid4())
                await conn.execute(
                    CL_FEEDBACKS.insert().values(
                        id=feedback_id, forId=feedback.forId, threadId=thread_id, **values
                    )
                )
            else:
                await conn.execute(update(CL_FEEDBACKS).where(f.id == feedback_id).values(**values))
        return FeedbackSaved(feedbackId=feedback_id, forId=feedback.forId, threadId=thread_id)

    async def delete_feedback(self, caller: str | None, feedback_id: str) -> bool:
        f, t = CL_FEEDBACKS.c, CL_THREADS.c
        async with self.engine.begin() as conn:
            owned = (
                await conn.execute(
                    select(f.id)
                    .join(CL_THREADS, t.id == f.threadId)
                    .where(f.id == feedback_id, owned_by(_owner(), caller))
                )
            ).first()
            if owned is None:
                return False
            await conn.execute(delete(CL_FEEDBACKS).where(f.id == feedback_id))
        return True

    # --- what the file routes ask -------------------------------------------------------

    async def thread_usable(self, thread_id: str, caller: str | None) -> bool:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(_owner().label("owner")).where(CL_THREADS.c.id == thread_id)
                )
            ).first()
        return row is None or row.owner in (None, caller)

    async def shows_file(self, thread_id: str, file_id: str) -> bool:
        e = CL_ELEMENTS.c
        shown = select(e.id).where(e.threadId == thread_id, e.chainlitKey == file_id).exists()
        async with self.engine.connect() as conn:
            return bool((await conn.execute(select(shown))).scalar())
