"""Element writes from the persistence stream.

An element's content is a file uploaded beforehand (``POST /files``) whose id
is the element's ``chainlitKey``. Events never bring content: a ``path`` is
dropped (it names a file on the producer's disk, which this service must not
read) and a ``url`` is kept only when it is an absolute http(s) link the app
gave. Readers get the gateway's file route instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast
from urllib.parse import quote, urlsplit

from sqlalchemy import ColumnElement, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from switchboard.schema import ElementDict
from switchboard.schema.persist import ElementDelete, ElementUpsert
from switchboard_persistence.db.sql import ELEMENTS, FILES, clean, insert_for

__all__ = (
    "FILE_ROUTE",
    "attach_file",
    "delete_element",
    "drop_element_files",
    "element_dict",
    "upsert_element",
)

# Where browsers fetch an element's content: the gateway's file route.
FILE_ROUTE = "/project/file/{key}"
_URL_MAX = 4096


def safe_url(url: str | None) -> str | None:
    """An absolute http(s) URL given by the app, or nothing."""
    if not url or len(url) > _URL_MAX:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def _thread_files(thread_id: str) -> ColumnElement[bool]:
    """Files an element of ``thread_id`` may use: that thread's, or not yet in any thread."""
    return or_(FILES.c.thread_id == thread_id, FILES.c.thread_id.is_(None))


async def attach_file(conn: AsyncConnection, key: str, thread_id: str) -> Any:
    """The element's file row (None when it is another thread's), moved into the
    element's thread if it had none. Every storage mode keeps uploads in these rows."""
    row = (
        await conn.execute(select(FILES).where(FILES.c.id == key, _thread_files(thread_id)))
    ).first()
    if row is not None and row.thread_id is None:
        await conn.execute(update(FILES).where(FILES.c.id == key).values(thread_id=thread_id))
    return row


async def upsert_element(
    conn: AsyncConnection, event: ElementUpsert, thread_id: str, at: datetime
) -> None:
    """Insert or replace the element by its id within its thread."""
    element = event.payload
    file = await attach_file(conn, element.chainlitKey, thread_id) if element.chainlitKey else None
    row: dict[str, Any] = {
        "id": element.id,
        "thread_id": thread_id,
        "for_id": element.forId,
        "created_at": at,
        "type": element.type,
        "name": element.name,
        "chainlit_key": element.chainlitKey,
        "path": None,
        "url": safe_url(element.url),
        "object_key": file.object_key if file is not None else None,
        "display": element.display,
        "size": element.size,
        "language": element.language,
        "page": element.page,
        "props": element.props,
        "auto_play": element.autoPlay,
        "player_config": element.playerConfig,
        "mime": element.mime or (file.mime if file is not None else None),
    }
    stmt = insert_for(conn, ELEMENTS).values(**cast(dict[str, Any], clean(row)))
    kept = {"id", "thread_id", "created_at"}
    stmt = stmt.on_conflict_do_update(
        index_elements=["thread_id", "id"],
        set_={key: stmt.excluded[key] for key in row if key not in kept},
    )
    await conn.execute(stmt)


async def drop_element_files(
    conn: AsyncConnection, thread_id: str, keys: Sequence[str | None]
) -> list[str]:
    """Delete the file rows behind removed elements; their object keys, to delete after commit."""
    ids = sorted({key for key in keys if key})
    if not ids:
        return []
    doomed = select(FILES.c.object_key).where(FILES.c.id.in_(ids), _thread_files(thread_id))
    object_keys = list((await conn.execute(doomed)).scalars())
    await conn.execute(delete(FILES).where(FILES.c.id.in_(ids), _thread_files(thread_id)))
    return object_keys


async def delete_element(conn: AsyncConnection, event: ElementDelete, thread_id: str) -> list[str]:
    """Remove the element of that thread and its file; the object keys to delete."""
    where = (ELEMENTS.c.id == event.payload.id, ELEMENTS.c.thread_id == thread_id)
    key = (await conn.execute(select(ELEMENTS.c.chainlit_key).where(*where))).first()
    if key is None:
        return []
    await conn.execute(delete(ELEMENTS).where(*where))
    return await drop_element_files(conn, thread_id, [key.chainlit_key])


def element_dict(m: Any) -> ElementDict:
    """A stored element as Chainlit's dict; content is served by the gateway's file route."""
    key: str | None = m["chainlit_key"]
    return ElementDict(
        id=m["id"],
        threadId=m["thread_id"],
        type=m["type"],
        chainlitKey=key,
        path=None,
        url=FILE_ROUTE.format(key=quote(key, safe="")) if key else m["url"],
        objectKey=m["object_key"],
        name=m["name"],
        display=m["display"] or "inline",
        size=m["size"],
        language=m["language"],
        page=m["page"],
        props=m["props"],
        autoPlay=m["auto_play"],
        playerConfig=m["player_config"],
        forId=m["for_id"],
        mime=m["mime"],
    )
