"""Switchboard's own schema (snake_case, Alembic-migrated) as a :class:`ConversationStore`.

The SQL lives where it always has (:mod:`~switchboard_persistence.repository`,
:mod:`~switchboard_persistence.threads`, :mod:`~switchboard_persistence.feedback`);
this adapter puts it behind the protocol the consumer and the routes use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from switchboard.schema import ElementDict, PersistEvent, ThreadDict
from switchboard.schema.history import FeedbackIn, FeedbackSaved, ThreadListRequest, ThreadPage
from switchboard_persistence.db.sql import ELEMENTS, THREADS
from switchboard_persistence.feedback import FeedbackStore
from switchboard_persistence.repository import Repository
from switchboard_persistence.storage import ObjectStorage
from switchboard_persistence.stores.base import ThreadOwner
from switchboard_persistence.threads import ThreadStore

__all__ = ("SwitchboardStore",)


@dataclass(frozen=True, slots=True)
class SwitchboardStore:
    """Conversations in Switchboard's own tables, in the service's database."""

    engine: AsyncEngine
    storage: ObjectStorage | None = None

    @property
    def repository(self) -> Repository:
        return Repository(self.engine, self.storage)

    @property
    def _threads(self) -> ThreadStore:
        return ThreadStore(self.engine, self.storage)

    async def ping(self) -> None:
        await self.repository.ping()

    async def close(self) -> None:
        """The engine is the app's: it disposes of it."""

    async def apply(self, events: Sequence[PersistEvent]) -> None:
        await self.repository.apply(events)

    async def thread_owner(self, thread_id: str) -> ThreadOwner | None:
        t = THREADS.c
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(t.user_identifier).where(t.id == thread_id, t.deleted_at.is_(None))
                )
            ).first()
        return ThreadOwner(row.user_identifier) if row is not None else None

    async def get_thread(self, thread_id: str) -> ThreadDict | None:
        return await self.repository.get_thread(thread_id)

    async def get_element(
        self, thread_id: str, element_id: str, caller: str | None
    ) -> ElementDict | None:
        return await self.repository.get_element(thread_id, element_id, caller)

    async def list_threads(self, owner: str, request: ThreadListRequest) -> ThreadPage:
        return await self._threads.list_threads(owner, request)

    async def rename(self, thread_id: str, caller: str | None, name: str) -> bool:
        return await self._threads.rename(thread_id, caller, name)

    async def share(self, thread_id: str, caller: str | None, is_shared: bool) -> bool:
        return await self._threads.share(thread_id, caller, is_shared)

    async def delete(self, thread_id: str, caller: str | None) -> bool:
        return await self._threads.delete(thread_id, caller)

    async def upsert_feedback(
        self, caller: str | None, feedback: FeedbackIn
    ) -> FeedbackSaved | None:
        return await FeedbackStore(self.engine).upsert(caller, feedback)

    async def delete_feedback(self, caller: str | None, feedback_id: str) -> bool:
        return await FeedbackStore(self.engine).delete(caller, feedback_id)

    async def thread_usable(self, thread_id: str, caller: str | None) -> bool:
        """Steps can reach the database before the thread upsert that names the user."""
        t = THREADS.c
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(select(t.user_identifier, t.deleted_at).where(t.id == thread_id))
            ).first()
        if row is None:
            return True
        return row.deleted_at is None and row.user_identifier in (None, caller)

    async def shows_file(self, thread_id: str, file_id: str) -> bool:
        e, t = ELEMENTS.c, THREADS.c
        shown = (
            select(e.id)
            .join(THREADS, t.id == e.thread_id)
            .where(e.thread_id == thread_id, e.chainlit_key == file_id, t.deleted_at.is_(None))
            .exists()
        )
        async with self.engine.connect() as conn:
            return bool((await conn.execute(select(shown))).scalar())
