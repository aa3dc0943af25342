"""Applying a batch of persist events in one transaction, and removing the files it freed.

Writes are idempotent by natural key (thread id, step id) so a redelivered
stream entry changes nothing. Steps and elements are known by their id within
their thread: every event names its thread, so it can never touch another
thread's row, whatever ids it carries, and an id already used elsewhere is
stored like any other.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import cast

from sqlalchemy.ext.asyncio import AsyncConnection

from switchboard.schema import PersistEvent, StepUpsert, ThreadUpsert
from switchboard.schema.persist import ElementDelete, ElementUpsert
from switchboard_persistence.elements import delete_element, upsert_element
from switchboard_persistence.step_writes import delete_step, upsert_steps
from switchboard_persistence.storage import ObjectStorage
from switchboard_persistence.thread_writes import ensure_threads, touch_threads, upsert_thread
from switchboard_persistence.validation import event_time, thread_of, validate_event

__all__ = ("apply_events", "delete_objects")

logger = logging.getLogger(__name__)


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
            await upsert_steps(conn, run)
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
            at = event_time(event)
            touched[thread_id] = max(at, touched.get(thread_id, at))
            continue
        await flush()
        if isinstance(event, ThreadUpsert):
            await upsert_thread(conn, event, thread_id)
        elif isinstance(event, ElementUpsert):
            at = event_time(event)
            await ensure_threads(conn, {thread_id: at})
            await upsert_element(conn, event, thread_id, at)
        elif isinstance(event, ElementDelete):
            doomed += await delete_element(conn, event, thread_id)
        else:
            doomed += await delete_step(conn, event, thread_id)
    await flush()
    await touch_threads(conn, touched)
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
