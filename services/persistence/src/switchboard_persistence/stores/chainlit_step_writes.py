"""Step rows of Chainlit's schema as the persistence stream writes them.

Writes follow Chainlit's own rules for a step written again: text it has is not erased
by an empty update, a ``run`` never replaces a more specific type, the first
``createdAt`` stays; and a write only changes a row of the thread the event names.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import and_, bindparam, case, delete, func, literal, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from switchboard.schema import StepDelete, StepUpsert
from switchboard_persistence.db.sql import clean
from switchboard_persistence.step_tree import subtree_ids
from switchboard_persistence.stores.chainlit_schema import CL_ELEMENTS, CL_FEEDBACKS, CL_STEPS
from switchboard_persistence.stores.chainlit_thread_writes import ensure_threads
from switchboard_persistence.validation import event_time

__all__ = ("delete_step", "upsert_steps")

# A ``run`` step never replaces a more specific type (Chainlit's own rule).
_GENERIC_TYPES = ("run", "undefined")
# Columns a later write fills only when it brings a value: text stays, the first time stays.
_KEEP_TEXT = ("input", "output")


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
    conn: AsyncConnection, run: Sequence[tuple[StepUpsert, str]], have: frozenset[str] | None
) -> None:
    """Consecutive step writes as one executemany; each only updates its own thread's row."""
    first_seen: dict[str, datetime] = {}
    for event, thread_id in run:
        first_seen.setdefault(thread_id, event_time(event))
    await ensure_threads(conn, first_seen)
    names = [col.name for col in CL_STEPS.columns if have is None or col.name in have]
    rows = []
    for event, thread_id in run:
        given = {"id": event.payload.id, **_step_row(event, thread_id)}
        rows.append({f"p_{n}": given.get(n) for n in names})
    await conn.execute(_step_upsert(have), rows)


async def delete_step(conn: AsyncConnection, event: StepDelete, thread_id: str) -> list[str]:
    """The step, its descendants, their elements and feedback; within that thread only.

    Returns the file ids (``chainlitKey``) of the elements removed."""
    c = CL_STEPS.c
    tree = subtree_ids(CL_STEPS, event.payload.id, thread_id, parent="parentId", thread="threadId")
    ids = list((await conn.execute(tree)).scalars())
    if not ids:
        return []
    e, f = CL_ELEMENTS.c, CL_FEEDBACKS.c
    mine = (e.forId.in_(ids), e.threadId == thread_id)
    keys = [k for k in (await conn.execute(select(e.chainlitKey).where(*mine))).scalars() if k]
    await conn.execute(delete(CL_FEEDBACKS).where(f.forId.in_(ids), f.threadId == thread_id))
    await conn.execute(delete(CL_ELEMENTS).where(*mine))
    await conn.execute(delete(CL_STEPS).where(c.id.in_(ids), c.threadId == thread_id))
    return keys
