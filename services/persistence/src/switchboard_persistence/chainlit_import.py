"""``switchboard import``: copy a Chainlit-schema database into Switchboard's own schema.

The other way to move an app's history, beside using the Chainlit database in place
(``SWITCHBOARD_PERSISTENCE_SCHEMA=chainlit``). Threads are copied in batches, each
batch in one transaction of the destination, with everything they hold: steps (in
their ``createdAt`` order), elements and feedback. Nothing is ever overwritten: a
row already in the destination stays as it is, so a re-run copies only what is new
and an interrupted run can simply be run again. The source is only read.

Users are not copied: Switchboard's threads carry their owner's identifier, and the
auth service (password, header or OAuth login) names users by that same identifier.
Elements keep the URL Chainlit stored (its storage provider's); their bytes are not
copied.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import typer
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from switchboard_persistence.db.models import THREAD_NAME_MAX
from switchboard_persistence.db.sql import ELEMENTS, FEEDBACKS, STEPS, THREADS, clean, insert_for
from switchboard_persistence.elements import safe_url
from switchboard_persistence.settings import normalise_database_url
from switchboard_persistence.stores.chainlit import ChainlitStore
from switchboard_persistence.stores.chainlit_schema import (
    CL_ELEMENTS,
    CL_FEEDBACKS,
    CL_STEPS,
    CL_THREADS,
    CL_USERS,
)

__all__ = ("ImportCounts", "import_chainlit", "parse_time")

_TABLES = ("users", "threads", "steps", "elements", "feedbacks")


@dataclass
class ImportCounts:
    """Rows per table: in the source, and copied by this run (already there: skipped)."""

    source: dict[str, int] = field(default_factory=dict)
    copied: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_TABLES[1:], 0))

    def lines(self, dry_run: bool) -> list[str]:
        if dry_run:
            return [f"{t}: {self.source.get(t, 0)}" for t in _TABLES]
        return [f"{t}: {self.copied[t]} copied of {self.source.get(t, 0)}" for t in _TABLES[1:]]


def parse_time(text: str | None) -> datetime | None:
    """Chainlit's text timestamps (ISO-8601, often with ``Z``) as aware UTC datetimes."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


async def _count(conn: AsyncConnection, table: Any) -> int:
    return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


def _batches(ids: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


async def _insert_new(conn: AsyncConnection, table: Any, rows: list[dict[str, Any]]) -> int:
    """Insert rows whose key is not there yet; how many were."""
    if not rows:
        return 0
    stmt = insert_for(conn, table).on_conflict_do_nothing()
    result = await conn.execute(stmt.returning(table.c.id), rows)
    return len(result.all())


class _Copier:
    def __init__(self, store: ChainlitStore, destination: AsyncEngine) -> None:
        self.store = store
        self.destination = destination
        self.counts = ImportCounts()

    async def batch(self, thread_ids: Sequence[str]) -> None:
        source, cols = self.store.engine, self.store.cols
        t, s, e, f, u = CL_THREADS.c, CL_STEPS.c, CL_ELEMENTS.c, CL_FEEDBACKS.c, CL_USERS.c
        owner = select(u.identifier).where(u.id == t.userId).scalar_subquery()
        async with source.connect() as conn:
            threads = (
                await conn.execute(
                    select(
                        *CL_THREADS.columns, func.coalesce(t.userIdentifier, owner).label("who")
                    ).where(t.id.in_(thread_ids))
                )
            ).all()
            steps = (
                await conn.execute(
                    select(*cols(CL_STEPS))
                    .where(s.threadId.in_(thread_ids))
                    .order_by(s.threadId, s.createdAt.asc().nulls_last(), s.id)
                )
            ).all()
            elements = (
                await conn.execute(select(*cols(CL_ELEMENTS)).where(e.threadId.in_(thread_ids)))
            ).all()
            feedbacks = (
                await conn.execute(select(*CL_FEEDBACKS.columns).where(f.threadId.in_(thread_ids)))
            ).all()
        now = datetime.now(UTC)
        created: dict[str, datetime] = {}
        latest: dict[str, datetime] = {}
        for row in threads:
            created[row.id] = parse_time(row.createdAt) or now
        step_rows: list[dict[str, Any]] = []
        seq: dict[str, int] = {}
        for row in steps:
            m = row._mapping
            thread_id = m["threadId"]
            seq[thread_id] = seq.get(thread_id, 0) + 1
            at = parse_time(m["createdAt"])
            if at is not None:
                latest[thread_id] = max(at, latest.get(thread_id, at))
            step_rows.append(_step_row(m, seq[thread_id]))
        thread_rows = [
            {
                "id": row.id,
                "created_at": created[row.id],
                "updated_at": max(created[row.id], latest.get(row.id, created[row.id])),
                "name": clean(row.name)[:THREAD_NAME_MAX] if row.name else None,
                "user_id": row.userId,
                "user_identifier": row.who,
                "tags": row.tags,
                "metadata": clean(row.metadata) or {},
            }
            for row in threads
        ]
        element_rows = [_element_row(r._mapping, created.get(r.threadId, now)) for r in elements]
        feedback_rows = [
            {
                "id": r.id,
                "for_id": r.forId,
                "thread_id": r.threadId,
                "value": 1 if r.value else 0,
                "comment": clean(r.comment),
                "created_at": now,
                "updated_at": now,
            }
            for r in feedbacks
        ]
        async with self.destination.begin() as conn:
            copied = self.counts.copied
            copied["threads"] += await _insert_new(conn, THREADS, thread_rows)
            copied["steps"] += await _insert_new(conn, STEPS, step_rows)
            copied["elements"] += await _insert_new(conn, ELEMENTS, element_rows)
            copied["feedbacks"] += await _insert_new(conn, FEEDBACKS, feedback_rows)


def _show_input(value: str | None) -> bool | str | None:
    if value is None:
        return None
    return {"true": True, "false": False}.get(value.lower(), value)


def _step_row(m: Any, seq: int) -> dict[str, Any]:
    get = m.get
    row = {
        "id": m["id"],
        "thread_id": m["threadId"],
        "seq": seq,
        "parent_id": m["parentId"],
        "name": m["name"],
        "type": m["type"],
        "input": m["input"],
        "output": m["output"],
        "metadata": m["metadata"] or None,
        "tags": m["tags"],
        "is_error": m["isError"],
        "streaming": m["streaming"],
        "wait_for_answer": m["waitForAnswer"],
        "created_at": m["createdAt"],
        "start": m["start"],
        "end": m["end"],
        "command": get("command"),
        "modes": get("modes") or None,
        "generation": get("generation") or None,
        "show_input": _show_input(m["showInput"]),
        "language": get("language"),
        "default_open": get("defaultOpen"),
        "auto_collapse": get("autoCollapse"),
        "icon": get("icon"),
        "version": None,
    }
    return dict(clean(row))


def _element_row(m: Any, at: datetime) -> dict[str, Any]:
    get = m.get
    row = {
        "id": m["id"],
        "thread_id": m["threadId"],
        "for_id": m["forId"],
        "created_at": at,
        "type": m["type"] or "file",
        "name": m["name"],
        # Chainlit's key named a file of its own process: not a Switchboard upload, so the
        # element is served from the URL Chainlit's storage provider gave it.
        "chainlit_key": None,
        "path": None,
        "url": safe_url(m["url"]),
        "object_key": m["objectKey"],
        "display": m["display"],
        "size": m["size"],
        "language": m["language"],
        "page": m["page"],
        "props": get("props"),
        "auto_play": get("autoPlay"),
        "player_config": get("playerConfig"),
        "mime": get("mime"),
    }
    return dict(clean(row))


async def import_chainlit(
    source_url: str,
    destination_url: str,
    *,
    dry_run: bool = False,
    batch_size: int = 100,
    progress: bool = True,
) -> ImportCounts:
    """Copy every thread of the Chainlit database into Switchboard's (migrated) schema."""
    source = create_async_engine(normalise_database_url(source_url))
    destination = create_async_engine(normalise_database_url(destination_url))
    try:
        store = await ChainlitStore.open(source, destination, None)
        copier = _Copier(store, destination)
        async with source.connect() as conn:
            for name, table in zip(
                _TABLES, (CL_USERS, CL_THREADS, CL_STEPS, CL_ELEMENTS, CL_FEEDBACKS), strict=True
            ):
                copier.counts.source[name] = await _count(conn, table)
            if dry_run:
                return copier.counts
            ids = [
                str(i)
                for i in (
                    await conn.execute(select(CL_THREADS.c.id).order_by(CL_THREADS.c.id))
                ).scalars()
            ]
        if not progress:
            for chunk in _batches(ids, batch_size):
                await copier.batch(chunk)
            return copier.counts
        with typer.progressbar(length=len(ids), label="threads", file=None) as bar:
            for chunk in _batches(ids, batch_size):
                await copier.batch(chunk)
                bar.update(len(chunk))
        return copier.counts
    finally:
        await source.dispose()
        await destination.dispose()


def run_import(
    source_url: str, destination_url: str, *, dry_run: bool, batch_size: int
) -> ImportCounts:
    """The CLI's entry: run the import and print its counts."""
    counts = asyncio.run(
        import_chainlit(source_url, destination_url, dry_run=dry_run, batch_size=batch_size)
    )
    typer.echo("dry run: nothing written" if dry_run else "import done")
    for line in counts.lines(dry_run):
        typer.echo(line)
    return counts
