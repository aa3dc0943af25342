"""Reads and writes of threads and steps, independent of HTTP and Redis.

Writes are idempotent by natural key (thread id, step id) so a redelivered
stream entry changes nothing. Steps and elements are known by their id within
their thread: every event names its thread, so it can never touch another
thread's row, whatever ids it carries, and an id already used elsewhere is
stored like any other.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    and_,
    bindparam,
    case,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from switchboard.schema import (
    ElementDict,
    FeedbackDict,
    PersistEvent,
    StepDelete,
    StepDict,
    StepUpsert,
    ThreadDict,
    ThreadUpsert,
)
from switchboard.schema.persist import ElementDelete, ElementUpsert
from switchboard_persistence.db.models import ID_MAX, THREAD_NAME_MAX, UtcDateTime
from switchboard_persistence.db.sql import (
    ELEMENTS,
    FEEDBACKS,
    FILES,
    STEPS,
    THREADS,
    clean,
    insert_for,
    iso,
    owned_by,
)
from switchboard_persistence.elements import (
    delete_element,
    drop_element_files,
    element_dict,
    upsert_element,
)
from switchboard_persistence.errors import InvalidEvent
from switchboard_persistence.storage import ObjectStorage

__all__ = (
    "ELEMENTS",
    "FEEDBACKS",
    "FILES",
    "STEPS",
    "THREADS",
    "Repository",
    "apply_events",
    "delete_objects",
    "iso",
    "thread_of",
    "validate_event",
)

logger = logging.getLogger(__name__)

# A ``run`` step never replaces one of these (Chainlit's COALESCE rule).
_GENERIC_TYPES = ("run", "undefined")


def _event_time(event: PersistEvent) -> datetime:
    return datetime.fromtimestamp(event.ts, UTC)


def thread_of(event: PersistEvent) -> str | None:
    """The thread an event writes to: the producer's envelope first, then the step's own field."""
    thread_id: str | None = event.thread_id
    if not thread_id and isinstance(event, StepUpsert | ElementUpsert):
        thread_id = event.payload.threadId
    return thread_id or None


def _check_id(value: str | None, what: str, *, required: bool) -> None:
    if value is None or value == "":
        if required:
            raise InvalidEvent(f"{what} is missing")
        return
    if len(value) > ID_MAX:
        raise InvalidEvent(f"{what} is longer than {ID_MAX} characters")


def validate_event(event: PersistEvent) -> None:
    """Reject what parses but cannot be stored, before it reaches a transaction."""
    _check_id(thread_of(event), "thread id", required=True)
    if isinstance(event, StepUpsert):
        _check_id(event.payload.id, "step id", required=True)
        _check_id(event.payload.parentId, "parent id", required=False)
    elif isinstance(event, StepDelete):
        _check_id(event.payload.id, "step id", required=True)
    elif isinstance(event, ElementUpsert):
        _check_id(event.payload.id, "element id", required=True)
        _check_id(event.payload.forId, "element forId", required=False)
        _check_id(event.payload.chainlitKey, "element chainlitKey", required=False)
    elif isinstance(event, ElementDelete):
        _check_id(event.payload.id, "element id", required=True)


# --- writes ------------------------------------------------------------------


async def _ensure_threads(conn: AsyncConnection, first_seen: dict[str, datetime]) -> None:
    """Create bare thread rows for steps whose thread is not stored yet."""
    if not first_seen:
        return
    rows = [
        {"id": tid, "created_at": at, "updated_at": at}
        for tid, at in sorted(first_seen.items())  # one lock order for every consumer
    ]
    stmt = insert_for(conn, THREADS).on_conflict_do_nothing(index_elements=["id"])
    await conn.execute(stmt, rows)


async def _touch_threads(conn: AsyncConnection, last_seen: dict[str, datetime]) -> None:
    """Move ``updated_at`` forward so thread lists order by latest activity."""
    if not last_seen:
        return
    at = bindparam("at", type_=UtcDateTime())
    stmt = (
        update(THREADS)
        .where(THREADS.c.id == bindparam("tid"), THREADS.c.updated_at < at)
        .values(updated_at=at)
    )
    await conn.execute(stmt, [{"tid": t, "at": a} for t, a in sorted(last_seen.items())])


async def _upsert_thread(conn: AsyncConnection, event: ThreadUpsert, thread_id: str) -> None:
    at = _event_time(event)
    await _ensure_threads(conn, {thread_id: at})
    row = (
        await conn.execute(
            select(THREADS.c.user_identifier, THREADS.c.updated_at, THREADS.c["metadata"])
            .where(THREADS.c.id == thread_id)
            .with_for_update()
        )
    ).one()
    payload = event.payload
    owner: str | None = row.user_identifier
    if payload.user_identifier and owner and payload.user_identifier != owner:
        # A thread never changes hands: refuse the whole update rather than guess.
        logger.warning(
            "thread upsert for another user's thread ignored",
            extra={"thread_id": thread_id, "session_id": event.session_id},
        )
        return
    values: dict[str, Any] = {}
    if payload.name is not None:
        values["name"] = clean(payload.name)[:THREAD_NAME_MAX]
    if payload.user_id is not None:
        values["user_id"] = clean(payload.user_id)
    if payload.user_identifier is not None:
        values["user_identifier"] = clean(payload.user_identifier)
    if payload.tags is not None:
        values["tags"] = clean(payload.tags)
    if payload.metadata is not None:
        merged: dict[str, Any] = dict(row._mapping["metadata"] or {})
        for key, value in clean(payload.metadata).items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        values["metadata"] = merged
    if at > row.updated_at:
        values["updated_at"] = at
    if values:
        await conn.execute(update(THREADS).where(THREADS.c.id == thread_id).values(**values))


def _step_row(event: StepUpsert, thread_id: str) -> dict[str, Any]:
    step = event.payload
    row = {
        "id": step.id,
        "thread_id": thread_id,
        "seq_thread": thread_id,
        "parent_id": step.parentId,
        "name": step.name,
        "type": step.type,
        "input": step.input,
        "output": step.output,
        # An empty dict means "nothing to say", as in Chainlit; it never clears stored metadata.
        "metadata": step.metadata or None,
        "tags": step.tags,
        "is_error": step.isError,
        "streaming": step.streaming,
        "wait_for_answer": step.waitForAnswer,
        "created_at": step.createdAt,
        "start": step.start,
        "end": step.end,
        "command": step.command,
        "modes": step.modes,
        "generation": step.generation,
        "show_input": step.showInput,
        "language": step.language,
        "default_open": step.defaultOpen,
        "auto_collapse": step.autoCollapse,
        "icon": step.icon,
        "version": event.ts,
    }
    return cast(dict[str, Any], clean(row))


def _step_upsert_statement(conn: AsyncConnection) -> Any:
    c = STEPS.c
    next_seq = (
        select(func.coalesce(func.max(c.seq), 0) + 1)
        .where(c.thread_id == bindparam("seq_thread"))
        .scalar_subquery()
    )
    stmt = insert_for(conn, STEPS).values(seq=next_seq)
    new = stmt.excluded

    def take_new(name: str) -> ColumnElement[Any]:
        return func.coalesce(new[name], c[name])

    def keep_text(name: str) -> ColumnElement[Any]:
        # An empty update never erases text a step already has.
        return case(
            (func.coalesce(new[name], "") == "", func.coalesce(c[name], new[name])),
            else_=new[name],
        )

    kept = {"id", "thread_id", "seq", "created_at", "type", "input", "output"}
    set_: dict[str, Any] = {col.key: take_new(col.key) for col in c if col.key not in kept}
    set_["input"] = keep_text("input")
    set_["output"] = keep_text("output")
    set_["type"] = case(
        (
            (new.type == "run")
            & c.type.is_not(None)
            # Spelled out: executemany cannot expand an IN list.
            & and_(*(c.type != generic for generic in _GENERIC_TYPES)),
            c.type,
        ),
        else_=func.coalesce(new.type, c.type),
    )
    # The first timestamp stays, so a step keeps its place in the thread.
    set_["created_at"] = func.coalesce(c.created_at, new.created_at)
    return stmt.on_conflict_do_update(
        index_elements=["thread_id", "id"],
        set_=set_,
        # A write older than the stored one is a late redelivery: it changes nothing.
        where=c.version.is_(None) | new.version.is_(None) | (c.version <= new.version),
    )


async def _upsert_steps(conn: AsyncConnection, events: Sequence[tuple[StepUpsert, str]]) -> None:
    first_seen: dict[str, datetime] = {}
    for event, thread_id in events:
        first_seen.setdefault(thread_id, _event_time(event))
    await _ensure_threads(conn, first_seen)
    rows = [_step_row(event, thread_id) for event, thread_id in events]
    await conn.execute(_step_upsert_statement(conn), rows)


async def _delete_step(conn: AsyncConnection, event: StepDelete, thread_id: str) -> list[str]:
    """Delete a step with its descendants, their elements (and files) and their feedback."""
    c = STEPS.c
    tree = (
        select(c.id)
        .where(c.id == event.payload.id, c.thread_id == thread_id)
        .cte("doomed", recursive=True)
    )
    child = STEPS.alias("child")
    tree = tree.union(
        select(child.c.id).where(child.c.parent_id == tree.c.id, child.c.thread_id == thread_id)
    )
    ids = list((await conn.execute(select(tree.c.id))).scalars())
    if not ids:
        return []
    elements = (ELEMENTS.c.for_id.in_(ids), ELEMENTS.c.thread_id == thread_id)
    keys = list((await conn.execute(select(ELEMENTS.c.chainlit_key).where(*elements))).scalars())
    await conn.execute(
        delete(FEEDBACKS).where(FEEDBACKS.c.for_id.in_(ids), FEEDBACKS.c.thread_id == thread_id)
    )
    await conn.execute(delete(ELEMENTS).where(*elements))
    await conn.execute(delete(STEPS).where(c.id.in_(ids), c.thread_id == thread_id))
    return await drop_element_files(conn, thread_id, keys)


async def apply_events(conn: AsyncConnection, events: Sequence[PersistEvent]) -> list[str]:
    """Apply events in order inside the caller's transaction.

    Consecutive step upserts go to the database as one executemany. Returns the
    object keys whose files were removed: the caller deletes them once committed.
    """
    doomed: list[str] = []
    touched: dict[str, datetime] = {}
    run: list[tuple[StepUpsert, str]] = []

    async def flush() -> None:
        if run:
            await _upsert_steps(conn, run)
            run.clear()

    for event in events:
        validate_event(event)
        thread_id = cast(str, thread_of(event))
        if isinstance(event, StepUpsert):
            if event.payload.threadId and event.payload.threadId != thread_id:
                logger.warning(
                    "step names another thread than its envelope; the envelope wins",
                    extra={"thread_id": thread_id, "session_id": event.session_id},
                )
            run.append((event, thread_id))
            at = _event_time(event)
            touched[thread_id] = max(at, touched.get(thread_id, at))
            continue
        await flush()
        if isinstance(event, ThreadUpsert):
            await _upsert_thread(conn, event, thread_id)
        elif isinstance(event, ElementUpsert):
            at = _event_time(event)
            await _ensure_threads(conn, {thread_id: at})
            await upsert_element(conn, event, thread_id, at)
        elif isinstance(event, ElementDelete):
            doomed += await delete_element(conn, event, thread_id)
        else:
            doomed += await _delete_step(conn, event, thread_id)
    await flush()
    await _touch_threads(conn, touched)
    return doomed


async def delete_objects(storage: ObjectStorage | None, keys: Iterable[str]) -> None:
    """Best effort after a commit: the rows are gone, so a failure only leaves an orphan."""
    if storage is None:
        return
    for key in keys:
        try:
            await storage.delete(key)
        except Exception:
            logger.exception("could not delete a stored object", extra={"object_key": key})


# --- reads -------------------------------------------------------------------


def _step_dict(m: Any) -> StepDict:
    feedback = None
    if m["fb_id"] is not None:
        feedback = FeedbackDict(
            forId=m["id"], id=m["fb_id"], value=1 if m["fb_value"] else 0, comment=m["fb_comment"]
        )
    return StepDict(
        id=m["id"],
        threadId=m["thread_id"],
        parentId=m["parent_id"],
        name=m["name"],
        type=m["type"],
        input=m["input"],
        output=m["output"],
        metadata=m["metadata"] or {},
        tags=m["tags"],
        isError=m["is_error"],
        streaming=m["streaming"],
        waitForAnswer=m["wait_for_answer"],
        createdAt=m["created_at"],
        start=m["start"],
        end=m["end"],
        command=m["command"],
        modes=m["modes"],
        generation=m["generation"],
        showInput=m["show_input"],
        language=m["language"],
        defaultOpen=m["default_open"],
        autoCollapse=m["auto_collapse"],
        icon=m["icon"],
        feedback=feedback,
    )


def _unique_steps(rows: Iterable[Any]) -> list[StepDict]:
    seen: set[str] = set()
    steps: list[StepDict] = []
    for row in rows:
        m = row._mapping
        if m["id"] in seen:  # more than one feedback row joined: the first wins
            continue
        seen.add(m["id"])
        steps.append(_step_dict(m))
    return steps


@dataclass(frozen=True, slots=True)
class Repository:
    """The persistence database behind one engine."""

    engine: AsyncEngine
    # Where removed elements' files are deleted from; None leaves them (tests of SQL alone).
    storage: ObjectStorage | None = None

    async def ping(self) -> None:
        """Readiness: the database answers and the schema is migrated."""
        async with self.engine.connect() as conn:
            await conn.execute(select(THREADS.c.id).limit(1))

    async def apply(self, events: Sequence[PersistEvent]) -> None:
        """Apply events in order, all or nothing; then delete the objects they removed."""
        async with self.engine.begin() as conn:
            doomed = await apply_events(conn, events)
        await delete_objects(self.storage, doomed)

    async def get_element(
        self, thread_id: str, element_id: str, caller: str | None
    ) -> ElementDict | None:
        """The element when its thread is the caller's and not deleted."""
        t = THREADS.c
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(ELEMENTS)
                    .join(THREADS, t.id == ELEMENTS.c.thread_id)
                    .where(
                        ELEMENTS.c.id == element_id,
                        ELEMENTS.c.thread_id == thread_id,
                        owned_by(t.user_identifier, caller),
                        t.deleted_at.is_(None),
                    )
                )
            ).first()
        return element_dict(row._mapping) if row is not None else None

    async def get_thread(self, thread_id: str) -> ThreadDict | None:
        """The thread with its steps (creation order) and elements; None if absent or deleted."""
        async with self.engine.connect() as conn:
            thread = (
                await conn.execute(
                    select(THREADS).where(THREADS.c.id == thread_id, THREADS.c.deleted_at.is_(None))
                )
            ).first()
            if thread is None:
                return None
            c = STEPS.c
            step_rows = await conn.execute(
                select(
                    STEPS,
                    FEEDBACKS.c.id.label("fb_id"),
                    FEEDBACKS.c.value.label("fb_value"),
                    FEEDBACKS.c.comment.label("fb_comment"),
                )
                .outerjoin(
                    FEEDBACKS,
                    and_(FEEDBACKS.c.thread_id == c.thread_id, FEEDBACKS.c.for_id == c.id),
                )
                .where(c.thread_id == thread_id)
                .order_by(c.created_at.asc().nulls_last(), c.seq, c.id, FEEDBACKS.c.updated_at)
            )
            steps = _unique_steps(step_rows)
            element_rows = await conn.execute(
                select(ELEMENTS)
                .where(ELEMENTS.c.thread_id == thread_id)
                .order_by(ELEMENTS.c.created_at, ELEMENTS.c.id)
            )
            elements = [element_dict(row._mapping) for row in element_rows]
        t = thread._mapping
        return ThreadDict(
            id=t["id"],
            createdAt=iso(t["created_at"]),
            name=t["name"],
            userId=t["user_id"],
            userIdentifier=t["user_identifier"],
            tags=t["tags"],
            metadata=t["metadata"] or {},
            steps=steps,
            elements=elements,
        )
