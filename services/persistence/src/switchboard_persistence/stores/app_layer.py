"""An app's own ``@cl.data_layer`` as a :class:`~switchboard_persistence.stores.base.ConversationStore`.

``SWITCHBOARD_PERSISTENCE_SCHEMA=app``: the service imports the app module
(``SWITCHBOARD_APP``), calls its ``@cl.data_layer`` function once and sends every
conversation read and write there. What Switchboard guarantees stays here, around the
data layer, whatever the app's code does:

- Writes come from the persistence stream, each thread's in stream order, threads at
  the same time (:mod:`.app_layer_writes`). A call that raises leaves the batch
  unacknowledged: the consumer retries it and dead-letters it after
  ``max_deliveries``, so nothing is lost while the data layer's database is down.
- Reads are owner-checked before the data layer is asked: ``get_thread_author`` first,
  and ``get_thread``, ``get_element``, ``update_thread`` or ``delete_thread`` only for
  the caller's own thread. A listing asks ``list_threads`` for the caller's user id
  only and drops anything another user owns (:mod:`.app_layer_listing`).
- Ids the browser sends back must be uuids: a feedback id that is not one (DynamoDB's
  ``THREAD#…::STEP#…``) is shown as a uuid derived from it (:mod:`.app_layer_shapes`),
  and list cursors are thread ids, mapped to the data layer's own cursors.

Element content stays where the worker stored it (Switchboard's object storage); the
data layer gets the bytes with the element, so its own ``storage_provider`` can copy
them, and the gateway's file URL otherwise.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from switchboard.data.base import BaseDataLayer
from switchboard.data.loading import load_app_data_layer
from switchboard.schema import ElementDict, PersistEvent, ThreadDict
from switchboard.schema.history import FeedbackIn, FeedbackSaved, ThreadListRequest, ThreadPage
from switchboard.sdk.pagination import Pagination, ThreadFilter
from switchboard.sdk.types import Feedback
from switchboard_persistence.storage import ObjectStorage
from switchboard_persistence.stores.app_layer_listing import list_layer_threads
from switchboard_persistence.stores.app_layer_memory import LayerMemory
from switchboard_persistence.stores.app_layer_shapes import (
    browser_feedback_id,
    element_dict,
    thread_dict,
)
from switchboard_persistence.stores.app_layer_writes import (
    AppLayerWriter,
    DataLayerUnavailable,
    UploadedContent,
    layer_thread_owner,
)
from switchboard_persistence.stores.base import ThreadOwner
from switchboard_persistence.stores.sql_layer_steps import sql_layer_steps
from switchboard_persistence.thread_writes import sharing

__all__ = ("AppDataLayerStore", "DataLayerUnavailable")

logger = logging.getLogger(__name__)

# The caller's latest threads read to find a feedback this process has not seen.
_FEEDBACK_SEARCH_THREADS = 20


@dataclass
class AppDataLayerStore:
    """Conversations in the app's data layer; uploaded files in Switchboard's database."""

    layer: BaseDataLayer
    files_engine: AsyncEngine
    storage: ObjectStorage | None = None
    memory: LayerMemory = field(default_factory=LayerMemory)
    writer: AppLayerWriter = field(init=False, repr=False)

    def __post_init__(self) -> None:
        steps = sql_layer_steps(self.layer)
        content = UploadedContent(self.files_engine, self.storage)
        self.writer = AppLayerWriter(self.layer, self.memory, content, steps)
        logger.info(
            "app data layer ready",
            extra={
                "layer": type(self.layer).__qualname__,
                "step_writes": "batched" if steps is not None else "one call per step",
            },
        )

    @classmethod
    def load(
        cls, app: Path, files_engine: AsyncEngine, storage: ObjectStorage | None
    ) -> AppDataLayerStore:
        return cls(load_app_data_layer(app), files_engine, storage)

    async def ping(self) -> None:
        """Ready once the data layer is built: its outages are retried, not refused."""

    async def close(self) -> None:
        await self.layer.close()

    async def apply(self, events: Sequence[PersistEvent]) -> None:
        await self.writer.apply(events)

    # --- owner checks -------------------------------------------------------

    async def thread_owner(self, thread_id: str) -> ThreadOwner | None:
        return await layer_thread_owner(self.layer, thread_id)

    async def _owns(self, thread_id: str, caller: str | None) -> bool:
        owner = await self.thread_owner(thread_id)
        return owner is not None and caller is not None and owner.identifier == caller

    # --- read path ----------------------------------------------------------

    async def get_thread(self, thread_id: str) -> ThreadDict | None:
        raw = await self.layer.get_thread(thread_id)
        owner = None
        if raw is not None and not raw.get("userIdentifier"):
            # Some data layers keep only the user id on the thread: ask who owns it.
            found = await self.thread_owner(thread_id)
            owner = found.identifier if found is not None else None
        return thread_dict(self.memory, raw, owner)

    async def get_element(
        self, thread_id: str, element_id: str, caller: str | None
    ) -> ElementDict | None:
        if not await self._owns(thread_id, caller):
            return None
        raw = await self.layer.get_element(thread_id, element_id)
        return element_dict(thread_id, raw) if raw is not None else None

    async def list_threads(self, owner: str, request: ThreadListRequest) -> ThreadPage:
        return await list_layer_threads(self.layer, self.memory, owner, request)

    async def rename(self, thread_id: str, caller: str | None, name: str) -> bool:
        if not await self._owns(thread_id, caller):
            return False
        await self.layer.update_thread(thread_id, name=name)
        return True

    async def share(self, thread_id: str, caller: str | None, is_shared: bool) -> bool:
        if not await self._owns(thread_id, caller):
            return False
        await self.layer.update_thread(thread_id, metadata=sharing(is_shared))
        return True

    async def delete(self, thread_id: str, caller: str | None) -> bool:
        if not await self._owns(thread_id, caller):
            return False
        await self.layer.delete_thread(thread_id)
        return True

    # --- feedback -----------------------------------------------------------

    async def upsert_feedback(
        self, caller: str | None, feedback: FeedbackIn
    ) -> FeedbackSaved | None:
        step_threads = self.memory.step_threads
        thread_id = feedback.threadId or step_threads.get(feedback.forId)
        if thread_id is None and caller is not None:
            await self._read_recent_threads(caller)
            thread_id = step_threads.get(feedback.forId)
        if thread_id is None or not await self._owns(thread_id, caller):
            return None
        layer_id = None
        if feedback.id is not None:
            known = self.memory.feedback.get(feedback.id)
            layer_id = known[1] if known is not None and known[0] == thread_id else feedback.id
        saved = await self.layer.upsert_feedback(
            Feedback(
                forId=feedback.forId,
                value=feedback.value,
                id=layer_id,
                threadId=thread_id,
                comment=feedback.comment,
            )
        )
        shown = browser_feedback_id(self.memory, thread_id, saved)
        return FeedbackSaved(feedbackId=shown or "", forId=feedback.forId, threadId=thread_id)

    async def delete_feedback(self, caller: str | None, feedback_id: str) -> bool:
        """Feedback this process has saved or shown, else found in the caller's recent threads.

        ``BaseDataLayer`` cannot say which thread a feedback id belongs to; reading the
        caller's own latest threads (never anyone else's) finds it on another replica.
        """
        known = self.memory.feedback.get(feedback_id)
        if known is None and caller is not None:
            await self._read_recent_threads(caller)
            known = self.memory.feedback.get(feedback_id)
        if known is None:
            return False
        thread_id, layer_id = known
        if not await self._owns(thread_id, caller):
            return False
        return bool(await self.layer.delete_feedback(layer_id))

    async def _read_recent_threads(self, owner: str) -> None:
        """Read the owner's latest threads: their steps and feedback are then known here."""
        user = await self.layer.get_user(owner)
        if user is None:
            return
        page = await self.layer.list_threads(
            Pagination(first=_FEEDBACK_SEARCH_THREADS), ThreadFilter(userId=user.id)
        )
        for listed in page.data:
            thread_id = str(listed["id"])
            if await self._owns(thread_id, owner):
                thread_dict(self.memory, await self.layer.get_thread(thread_id), owner)

    # --- files --------------------------------------------------------------

    async def thread_usable(self, thread_id: str, caller: str | None) -> bool:
        owner = await self.thread_owner(thread_id)
        return owner is None or owner.identifier in (None, caller)

    async def shows_file(self, thread_id: str, file_id: str) -> bool:
        thread = await self.layer.get_thread(thread_id)
        return thread is not None and any(
            e.get("chainlitKey") == file_id for e in thread.get("elements") or []
        )
