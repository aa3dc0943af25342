"""Persist events written into Chainlit's schema, as Chainlit 2.12's SQLAlchemy layer reads them.

Chainlit's tables key steps and elements by a global uuid, not by (thread, id) as
Switchboard's do, so every upsert only updates a row of the thread the event names:
an id already used in another thread changes nothing there. Ids that are not uuids
cannot be stored in this schema at all; such an event is refused (dead-lettered).

Threads and their owners are :mod:`.chainlit_thread_writes`, steps
:mod:`.chainlit_step_writes`; elements and the order of a batch are here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from switchboard.schema import PersistEvent, StepUpsert, ThreadUpsert
from switchboard.schema.ids import is_uuid_id
from switchboard.schema.persist import ElementDelete, ElementUpsert
from switchboard_persistence.db.sql import clean
from switchboard_persistence.elements import FILE_ROUTE, safe_url
from switchboard_persistence.errors import InvalidEvent
from switchboard_persistence.stores.chainlit_schema import CL_ELEMENTS, CL_STEPS
from switchboard_persistence.stores.chainlit_step_writes import delete_step, upsert_steps
from switchboard_persistence.stores.chainlit_thread_writes import ensure_threads, upsert_thread
from switchboard_persistence.validation import event_time, thread_of, validate_event

__all__ = ("AttachedFile", "Columns", "FileLookup", "Removed", "apply_chainlit_events")


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
            await upsert_steps(conn, run, columns.get(CL_STEPS.name))
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
            removed.add(thread_id, await delete_step(conn, event, thread_id))
    if run:
        await upsert_steps(conn, run, columns.get(CL_STEPS.name))
    return removed
