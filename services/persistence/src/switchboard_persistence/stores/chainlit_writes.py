"""Persist events written into Chainlit's schema, as Chainlit 2.12's SQLAlchemy layer reads them.

Chainlit's tables key steps and elements by a global uuid, not by (thread, id) as
Switchboard's do, so every upsert only updates a row of the thread the event names:
an id already used in another thread changes nothing there. Ids that are not uuids
cannot be stored in this schema at all; such an event is refused (dead-lettered).

Owners: Chainlit ties a thread to ``users.id`` and copies the identifier into
``threads.userIdentifier``; a thread upsert naming a user finds (or adds) that
user's row by identifier and sets both. A thread never changes hands.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, case, delete, func, literal, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from switchboard.schema import PersistEvent, StepDelete, StepUpsert, ThreadUpsert
from switchboard.schema.ids import is_uuid_id
from switchboard.schema.persist import ElementDelete, ElementUpsert
from switchboard_persistence.db.models import THREAD_NAME_MAX
from switchboard_persistence.db.sql import clean, iso
from switchboard_persistence.elements import FILE_ROUTE, safe_url
from switchboard_persistence.errors import InvalidEvent
from switchboard_persistence.stores.chainlit_schema import (
    CL_ELEMENTS,
    CL_FEEDBACKS,
    CL_STEPS,
    CL_THREADS,
    CL_USERS,
)
from switchboard_persistence.validation import event_time, thread_of, validate_event

__all__ = ("AttachedFile", "Columns", "FileLookup", "Removed", "apply_chainlit_events")

logger = logging.getLogger(__name__)

# A ``run`` step never replaces a more specific type (Chainlit's own rule).
_GENERIC_TYPES = ("run", "undefined")
# Columns a later write fills only when it brings a value: text stays, the first time stays.
_KEEP_TEXT = ("input", "output")


@dataclass(frozen=True, slots=True)
class AttachedFile:
    """An uploaded file (Switchboard's own database) an element shows."""

    object_key: str
    mime: str


class FileLookup:
    """Finds, and moves into the element's thread, the uploaded file an element names."""

    async def attach(self, file_id: str, thread_id: str) -> AttachedFile | None:
        raise NotImplementedError


@dataclass
class Removed:
    """What a batch removed: file ids per thread, whose rows and objects go after commit."""

    files: dict[str, list[str]] = field(default_factory=dict)

    def add(self, thread_id: str, keys: Sequence[str | None]) -> None:
        self.files.setdefault(thread_id, []).extend(k for k in keys if k)


# Which columns the database has, per table (some Chainlit databases lack a few).
Columns = dict[str, frozenset[str]]


def _only(table: Table, row: dict[str, Any], columns: Columns) -> dict[str, Any]:
    have = columns.get(table.name)
    if have is None:
        return row
    return {k: v for k, v in row.items() if k in have}


def _uuid(value: str | None, what: str) -> None:
    if value and not is_uuid_id(value):
        raise InvalidEvent(f"{what} {value!r} is not a uuid, which Chainlit's schema requires")


async def ensure_user(conn: AsyncConnection, identifier: str, now: datetime) -> str:
    """The ``users.id`` of ``identifier``, adding the row Chainlit would have added at login."""
    u = CL_USERS.c
    found: str | None = (
        await conn.execute(select(u.id).where(u.identifier == identifier))
    ).scalar()
    if found is not None:
        return found
    await conn.execute(
        insert(CL_USERS)
        .values(id=str(uuid.uuid4()), identifier=identifier, metadata={}, createdAt=iso(now))
        .on_conflict_do_nothing(index_elements=["identifier"])
    )
    return cast(str, (await conn.execute(select(u.id).where(u.identifier == identifier))).scalar())


async def ensure_threads(conn: AsyncConnection, first_seen: dict[str, datetime]) -> None:
    """Bare thread rows, as Chainlit's ``create_step`` adds one for a step's thread."""
    if not first_seen:
        return
    rows = [
        {"id": tid, "createdAt": iso(at), "metadata": {}}
        for tid, at in sorted(first_seen.items())  # one lock order for every consumer
    ]
    await conn.execute(insert(CL_THREADS).on_conflict_do_nothing(index_elements=["id"]), rows)


async def upsert_thread(conn: AsyncConnection, event: ThreadUpsert, thread_id: str) -> None:
    """Fields named change, metadata merges (None deletes a key), the owner never changes."""
    at = event_time(event)
    await ensure_threads(conn, {thread_id: at})
    t = CL_THREADS.c
    row = (
        await conn.execute(
            select(t.userIdentifier, t.userId, t.metadata)
            .where(t.id == thread_id)
            .with_for_update()
        )
    ).one()
    payload = event.payload
    owner: str | None = row.userIdentifier
    if payload.user_identifier and owner and payload.user_identifier != owner:
        logger.warning(
            "thread upsert for another user's thread ignored",
            extra={"thread_id": thread_id, "session_id": event.session_id},
        )
        return
    values: dict[str, Any] = {}
    if payload.name is not None:
        values["name"] = clean(payload.name)[:THREAD_NAME_MAX]
    if payload.user_identifier and not owner:
        identifier = clean(payload.user_identifier)
        values["userIdentifier"] = identifier
        values["userId"] = await ensure_user(conn, identifier, at)
    if payload.tags is not None:
        values["tags"] = clean(payload.tags)
    if payload.metadata is not None:
        merged: dict[str, Any] = dict(row.metadata or {})
        for key, value in clean(payload.metadata).items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        values["metadata"] = merged
    if values:
        await conn.execute(update(CL_THREADS).where(t.id == thread_id).values(**values))


def _show_input(value: bool | str | None) -> str | None:
    # Chainlit stores ``str(showInput).lower()``: "true", "false", "json", "python"...
    return None if value is None else str(value).lower()


def _step_row(event: StepUpsert, thread_id: str) -> dict[str, Any]:
    step = event.payload
    row: dict[str, Any] = {
        "threadId": thread_id,
        "parentId": step.parentId,
        "name": step.name,
        "type": step.type,
        "streaming": step.streaming,
        "waitForAnswer": step.waitForAnswer,
        "isError": step.isError,
        # An empty dict says nothing (as in Chainlit's own writes' COALESCE use).
        "metadata": step.metadata or None,
        "tags": step.tags,
        "input": step.input,
        "output": step.output,
        "createdAt": step.createdAt,
        "command": step.command,
        "modes": step.modes or None,
        "start": step.start,
        "end": step.end,
        "generation": step.generation or None,
        "showInput": _show_input(step.showInput),
        "language": step.language,
        "defaultOpen": step.defaultOpen,
        "autoCollapse": step.autoCollapse,
        "icon": step.icon,
    }
    return cast(dict[str, Any], clean({k: v for k, v in row.items() if v is not None}))


# Where Chainlit's schema says NOT NULL: a partial first write still makes a valid row.
_STEP_DEFAULTS: dict[str, Any] = {"name": "", "type": "undefined", "streaming": False}


@functools.cache
def _step_upsert(have: frozenset[str] | None) -> Any:
    """One statement for every step write (built once per column set: compiling a fresh
    statement per event was the consumer's bottleneck). Each value is a parameter
    ``p_<column>``; None means "not given", so an update keeps what is stored."""
    c = CL_STEPS.c
    names = [col.name for col in CL_STEPS.columns if have is None or col.name in have]
    param = {n: bindparam(f"p_{n}", type_=c[n].type) for n in names}
    values: dict[str, Any] = {}
    for n in names:
        if n in _STEP_DEFAULTS:
            values[n] = func.coalesce(param[n], literal(_STEP_DEFAULTS[n], c[n].type))
        elif n == "metadata":
            values[n] = func.coalesce(param[n], literal({}, c[n].type))
        else:
            values[n] = param[n]
    stmt = insert(CL_STEPS).values(values)
    set_: dict[str, Any] = {}
    for n in names:
        if n in ("id", "threadId"):
            continue
        if n in _KEEP_TEXT:
            # An empty update never erases text a step already has.
            set_[n] = case((func.coalesce(param[n], "") == "", c[n]), else_=param[n])
        elif n == "type":
            # A ``run`` never replaces a more specific type (Chainlit's own rule).
            # Spelled out: executemany cannot expand an IN list.
            specific = (param[n] == "run") & and_(*(c.type != g for g in _GENERIC_TYPES))
            set_[n] = case((param[n].is_(None) | specific, c.type), else_=param[n])
        elif n == "createdAt":
            # The first timestamp stays, so a step keeps its place in the thread.
            set_[n] = func.coalesce(c[n], param[n])
        else:
            set_[n] = func.coalesce(param[n], c[n])
    return stmt.on_conflict_do_update(
        index_elements=["id"], set_=set_, where=c.threadId == stmt.excluded.threadId
    )


async def upsert_steps(
    conn: AsyncConnection, run: Sequence[tuple[StepUpsert, str]], columns: Columns
) -> None:
    """Consecutive step writes as one executemany; each only updates its own thread's row."""
    first_seen: dict[str, datetime] = {}
    for event, thread_id in run:
        first_seen.setdefault(thread_id, event_time(event))
    await ensure_threads(conn, first_seen)
    have = columns.get(CL_STEPS.name)
    names = [col.name for col in CL_STEPS.columns if have is None or col.name in have]
    rows = []
    for event, thread_id in run:
        given = {"id": event.payload.id, **_step_row(event, thread_id)}
        rows.append({f"p_{n}": given.get(n) for n in names})
    await conn.execute(_step_upsert(have), rows)


async def delete_step(
    conn: AsyncConnection, event: StepDelete, thread_id: str, removed: Removed
) -> None:
    """The step, its descendants, their elements and feedback; within that thread only."""
    c = CL_STEPS.c
    tree = (
        select(c.id)
        .where(c.id == event.payload.id, c.threadId == thread_id)
        .cte("doomed", recursive=True)
    )
    child = CL_STEPS.alias("child")
    tree = tree.union(
        select(child.c.id).where(child.c.parentId == tree.c.id, child.c.threadId == thread_id)
    )
    ids = list((await conn.execute(select(tree.c.id))).scalars())
    if not ids:
        return
    e, f = CL_ELEMENTS.c, CL_FEEDBACKS.c
    mine = (e.forId.in_(ids), e.threadId == thread_id)
    removed.add(thread_id, list((await conn.execute(select(e.chainlitKey).where(*mine))).scalars()))
    await conn.execute(delete(CL_FEEDBACKS).where(f.forId.in_(ids), f.threadId == thread_id))
    await conn.execute(delete(CL_ELEMENTS).where(*mine))
    await conn.execute(delete(CL_STEPS).where(c.id.in_(ids), c.threadId == thread_id))


async def upsert_element(
    conn: AsyncConnection,
    event: ElementUpsert,
    thread_id: str,
    files: FileLookup,
    columns: Columns,
) -> None:
    """Insert or replace the element of that thread; its content is an uploaded file."""
    element = event.payload
    key = element.chainlitKey
    file = await files.attach(key, thread_id) if key and is_uuid_id(key) else None
    row: dict[str, Any] = {
        "threadId": thread_id,
        "type": element.type,
        # Browsers (Chainlit's or Switchboard's) fetch the content from the gateway.
        "url": FILE_ROUTE.format(key=key) if file is not None else safe_url(element.url),
        "chainlitKey": key,
        "name": element.name,
        "display": element.display,
        "objectKey": file.object_key if file is not None else None,
        "size": element.size,
        "page": element.page,
        "language": element.language,
        "forId": element.forId,
        "mime": element.mime or (file.mime if file is not None else None),
        "props": element.props,
        "autoPlay": element.autoPlay,
        "playerConfig": element.playerConfig,
    }
    row = _only(CL_ELEMENTS, cast(dict[str, Any], clean(row)), columns)
    stmt = insert(CL_ELEMENTS).values(id=element.id, **row)
    c = CL_ELEMENTS.c
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["id"],
            set_={k: stmt.excluded[k] for k in row if k != "threadId"},
            where=c.threadId == stmt.excluded.threadId,
        )
    )


async def delete_element(
    conn: AsyncConnection, event: ElementDelete, thread_id: str, removed: Removed
) -> None:
    e = CL_ELEMENTS.c
    where = (e.id == event.payload.id, e.threadId == thread_id)
    key = (await conn.execute(select(e.chainlitKey).where(*where))).first()
    if key is None:
        return
    await conn.execute(delete(CL_ELEMENTS).where(*where))
    removed.add(thread_id, [key.chainlitKey])


def _check(event: PersistEvent) -> str:
    """The event's thread, after the checks this schema adds (uuid ids)."""
    validate_event(event)
    thread_id = cast(str, thread_of(event))
    _uuid(thread_id, "thread id")
    if isinstance(event, StepUpsert):
        _uuid(event.payload.id, "step id")
        _uuid(event.payload.parentId, "parent id")
    elif isinstance(event, ElementUpsert):
        _uuid(event.payload.id, "element id")
        _uuid(event.payload.forId, "element forId")
    return thread_id


async def apply_chainlit_events(
    conn: AsyncConnection,
    events: Sequence[PersistEvent],
    files: FileLookup,
    columns: Columns,
) -> Removed:
    """Apply events in order inside the caller's transaction; what they removed."""
    removed = Removed()
    run: list[tuple[StepUpsert, str]] = []
    for event in events:
        thread_id = _check(event)
        if isinstance(event, StepUpsert):
            run.append((event, thread_id))
            continue
        if run:
            await upsert_steps(conn, run, columns)
            run = []
        if isinstance(event, ThreadUpsert):
            await upsert_thread(conn, event, thread_id)
        elif isinstance(event, ElementUpsert):
            await ensure_threads(conn, {thread_id: event_time(event)})
            await upsert_element(conn, event, thread_id, files, columns)
        elif not is_uuid_id(event.payload.id):
            continue  # a delete of an id this schema cannot hold: nothing to delete
        elif isinstance(event, ElementDelete):
            await delete_element(conn, event, thread_id, removed)
        else:
            await delete_step(conn, event, thread_id, removed)
    if run:
        await upsert_steps(conn, run, columns)
    return removed
