"""Rows of Chainlit's tables as Switchboard's schema, and who owns a thread there.

Chainlit ties a thread to ``users.id`` and copies the identifier into
``threads.userIdentifier``; rows Chainlit wrote may have only the first, so the owner is
read as either. Columns later Chainlit versions added may be missing from a database:
rows read only the columns it has (:func:`read_columns`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, inspect, select
from sqlalchemy.ext.asyncio import AsyncConnection

from switchboard.schema import ElementDict, FeedbackDict, StepDict
from switchboard.schema.steps import STEP_TYPES
from switchboard_persistence.db.sql import owned_by
from switchboard_persistence.elements import FILE_ROUTE, safe_url
from switchboard_persistence.stores.chainlit_schema import CHAINLIT_TABLES, CL_THREADS, CL_USERS
from switchboard_persistence.stores.chainlit_writes import Columns

__all__ = ("element_from_row", "mine", "owner_of_thread", "read_columns", "step_from_row")

_DISPLAYS = ("inline", "side", "page")


def owner_of_thread() -> ColumnElement[Any]:
    """A thread's owner: ``userIdentifier``, else the identifier of its ``userId``."""
    t, u = CL_THREADS.c, CL_USERS.c
    by_id = select(u.identifier).where(u.id == t.userId).scalar_subquery()
    return func.coalesce(t.userIdentifier, by_id)


def mine(thread_id: str, caller: str | None) -> tuple[ColumnElement[bool], ...]:
    """The thread ``thread_id``, when it is ``caller``'s."""
    return (CL_THREADS.c.id == thread_id, owned_by(owner_of_thread(), caller))


async def read_columns(conn: AsyncConnection) -> Columns:
    """The columns each of Chainlit's tables has in this database."""

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


def step_from_row(m: Any) -> StepDict:
    """A step row joined with its feedback (``fb_id``, ``fb_value``, ``fb_comment``)."""
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


def element_from_row(m: Any) -> ElementDict:
    """An element row; a URL that is not the gateway's file route is checked first."""
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
