"""An app's own ``@cl.data_layer`` as a :class:`~switchboard_persistence.stores.base.ConversationStore`.

``SWITCHBOARD_PERSISTENCE_SCHEMA=app``: the service imports the app module
(``SWITCHBOARD_APP``), calls its ``@cl.data_layer`` function once and sends every
conversation read and write there. What Switchboard guarantees stays here, around the
data layer, whatever the app's code does:

- Writes come from the persistence stream, each thread's in stream order (threads of
  one batch at once, consecutive upserts of one step merged), one call per event
  (``update_thread``, ``create_step`` the first time this process sees a step and
  ``update_step`` afterwards, ``delete_step``, ``create_element``, ``delete_element``).
  A call that raises leaves the batch unacknowledged: the consumer retries it and
  dead-letters it after ``max_deliveries``, so nothing is lost while the data layer's
  database is down. Redelivery repeats calls already made, so the data layer's writes
  must be idempotent (Chainlit's are upserts).
- Reads are owner-checked before the data layer is asked: ``get_thread_author`` first,
  and ``get_thread``, ``get_element``, ``update_thread`` or ``delete_thread`` only for
  the caller's own thread. A listing asks ``list_threads`` for the caller's user id
  only and drops anything another user owns.
- Ids the browser sends back must be uuids: a feedback id that is not one (DynamoDB's
  ``THREAD#…::STEP#…``) is shown as a uuid derived from it, and list cursors are
  thread ids, mapped to the data layer's own cursors.

Element content stays where the worker stored it (Switchboard's object storage); the
data layer gets the bytes with the element, so its own ``storage_provider`` can copy
them, and the gateway's file URL otherwise.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from switchboard.data.base import BaseDataLayer
from switchboard.data.loading import load_app_data_layer
from switchboard.data.utils import writing_thread
from switchboard.schema import (
    ElementDict,
    PersistEvent,
    StepDelete,
    StepDict,
    StepUpsert,
    ThreadDict,
    ThreadUpsert,
)
from switchboard.schema.history import (
    FeedbackIn,
    FeedbackSaved,
    PageInfo,
    ThreadListRequest,
    ThreadPage,
)
from switchboard.schema.ids import is_uuid_id
from switchboard.schema.persist import ElementDelete, ElementUpsert
from switchboard.schema.steps import STEP_TYPES
from switchboard.sdk.element import Element
from switchboard.sdk.pagination import Pagination, ThreadFilter
from switchboard.sdk.types import Feedback
from switchboard.sdk.user import PersistedUser, User
from switchboard_persistence.db.sql import FILES, iso
from switchboard_persistence.storage import ObjectStorage
from switchboard_persistence.stores.base import ThreadOwner
from switchboard_persistence.validation import thread_of, validate_event

__all__ = ("AppDataLayerStore", "DataLayerUnavailable")

logger = logging.getLogger(__name__)

# Browser-facing ids for a data layer's feedback ids that are not uuids.
_FEEDBACK_NS = uuid.UUID("0b0c5f5e-4f7e-4c41-9a55-2f1f3e0d5a11")
# Bounded in-memory maps (rebuilt from reads; a miss costs a walk, never a wrong answer).
_REMEMBER = 10_000
# Threads whose writes go to the data layer at the same time (one batch).
_CONCURRENT_THREADS = 8
# The caller's latest threads read to find a feedback this process has not seen.
_FEEDBACK_SEARCH_THREADS = 20
# Pages walked to find a cursor this process has not handed out.
_MAX_WALK = 1_000


class DataLayerUnavailable(ConnectionError):
    """The app's data layer raised something other than a complaint about the data."""


class _Bounded(OrderedDict[str, Any]):
    def remember(self, key: str, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > _REMEMBER:
            self.popitem(last=False)


@dataclass(kw_only=True)
class _StoredElement(Element):
    """An element as the persistence stream carries it (its dict, its content)."""

    stored: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.stored)


def _element(payload: ElementDict, thread_id: str, content: bytes | None) -> Element:
    stored = payload.model_dump(mode="json", exclude={"path"})
    stored["threadId"] = thread_id
    element = _StoredElement(
        name=payload.name,
        id=payload.id,
        url=payload.url,
        content=content,
        display=payload.display,
        size=payload.size,
        for_id=payload.forId,
        language=payload.language,
        mime=payload.mime,
        thread_id=thread_id,
        chainlit_key=payload.chainlitKey,
        object_key=payload.objectKey,
        stored=stored,
    )
    # ``type`` is a class attribute of SDK elements; this one carries the stored type.
    object.__setattr__(element, "type", payload.type)
    return element


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _element_dict(thread_id: str, raw: Any) -> ElementDict | None:
    """A data layer's element in Switchboard's schema; None (logged) when it does not fit."""
    element = dict(raw)
    element["display"] = element.get("display") or "inline"
    if isinstance(element.get("props"), str):
        element["props"] = _json_object(element["props"])
    try:
        return ElementDict.model_validate(element)
    except ValidationError as exc:
        logger.warning("thread %s: element %s left out: %s", thread_id, element.get("id"), exc)
        return None


def _coalesced(events: list[PersistEvent]) -> list[PersistEvent]:
    """Consecutive upserts of one step as one: the later fields over the earlier ones."""
    out: list[PersistEvent] = []
    for event in events:
        last = out[-1] if out else None
        if (
            isinstance(event, StepUpsert)
            and isinstance(last, StepUpsert)
            and last.payload.id == event.payload.id
        ):
            merged = {**_step_dict(last.payload), **_step_dict(event.payload)}
            out[-1] = event.model_copy(update={"payload": StepDict.model_validate(merged)})
        else:
            out.append(event)
    return out


def _step_dict(payload: Any) -> dict[str, Any]:
    data: dict[str, Any] = payload.model_dump(mode="json", exclude_none=True)
    data.pop("feedback", None)
    return data


@dataclass
class AppDataLayerStore:
    """Conversations in the app's data layer; uploaded files in Switchboard's database."""

    layer: BaseDataLayer
    files_engine: AsyncEngine
    storage: ObjectStorage | None = None
    # Steps this process has created in the data layer: later upserts are updates.
    _created: _Bounded = field(default_factory=_Bounded)
    # identifier -> the data layer's user id.
    _users: _Bounded = field(default_factory=_Bounded)
    # step id -> its thread, from writes and reads (feedback may name only the step).
    _step_threads: _Bounded = field(default_factory=_Bounded)
    # browser feedback id -> (thread id, the data layer's feedback id).
    _feedback: _Bounded = field(default_factory=_Bounded)
    # (owner, thread id ending a page) -> the data layer's cursor for the next page.
    _cursors: _Bounded = field(default_factory=_Bounded)

    @classmethod
    def load(
        cls, app: Path, files_engine: AsyncEngine, storage: ObjectStorage | None
    ) -> AppDataLayerStore:
        return cls(load_app_data_layer(app), files_engine, storage)

    async def ping(self) -> None:
        """Ready once the data layer is built: its outages are retried, not refused."""

    async def close(self) -> None:
        await self.layer.close()

    # --- write path ---------------------------------------------------------

    async def apply(self, events: Sequence[PersistEvent]) -> None:
        """Each thread's events in order; different threads' at once (``_CONCURRENT_THREADS``).

        Upserts of one step that follow each other in a thread become one call (their
        fields merged in order), as a streamed message's many updates do.
        """
        for event in events:
            validate_event(event)
        by_thread: dict[str, list[PersistEvent]] = {}
        for event in events:
            thread_id = thread_of(event)
            assert thread_id is not None  # validate_event checked it
            by_thread.setdefault(thread_id, []).append(event)
        gate = asyncio.Semaphore(_CONCURRENT_THREADS)

        async def one_thread(thread_id: str, thread_events: list[PersistEvent]) -> None:
            async with gate:
                with writing_thread(thread_id):
                    for event in _coalesced(thread_events):
                        await self._apply_checked(event, thread_id)

        results = await asyncio.gather(
            *(one_thread(t, e) for t, e in by_thread.items()), return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def _apply_checked(self, event: PersistEvent, thread_id: str) -> None:
        try:
            await self._apply(event, thread_id)
        except (ValueError, TypeError, LookupError, OSError):
            raise
        except Exception as exc:
            # Not a complaint about the data: the data layer's store is away. The
            # consumer then keeps the batch, in order, until it passes.
            raise DataLayerUnavailable(f"the app's data layer failed: {exc!r}") from exc

    async def _apply(self, event: PersistEvent, thread_id: str) -> None:
        if isinstance(event, ThreadUpsert):
            await self._thread_upsert(event, thread_id)
        elif isinstance(event, StepUpsert):
            step = _step_dict(event.payload)
            step["threadId"] = thread_id
            key = f"{thread_id}\n{step['id']}"
            self._step_threads.remember(str(step["id"]), thread_id)
            if key in self._created:
                await self.layer.update_step(step)  # type: ignore[arg-type]
            else:
                await self.layer.create_step(step)  # type: ignore[arg-type]
                self._created.remember(key, True)
        elif isinstance(event, StepDelete):
            await self.layer.delete_step(event.payload.id)
        elif isinstance(event, ElementUpsert):
            content = await self._content(event.payload.chainlitKey, thread_id)
            await self.layer.create_element(_element(event.payload, thread_id, content))
        elif isinstance(event, ElementDelete):
            await self.layer.delete_element(event.payload.id, thread_id)

    async def _thread_upsert(self, event: ThreadUpsert, thread_id: str) -> None:
        payload = event.payload
        user_id = None
        identifier = payload.user_identifier
        if identifier:
            owner = await self.thread_owner(thread_id)
            if owner is not None and owner.identifier not in (None, identifier):
                # A thread never changes hands, and another user's thread is not touched.
                logger.warning(
                    "thread upsert for %s names %s, not its owner; left out",
                    thread_id,
                    identifier,
                )
                return
            if owner is None or owner.identifier is None:
                user_id = await self._user_id(identifier)
        metadata = dict(payload.metadata) if payload.metadata is not None else None
        await self.layer.update_thread(
            thread_id, name=payload.name, user_id=user_id, metadata=metadata, tags=payload.tags
        )

    async def _user_id(self, identifier: str) -> str:
        known: str | None = self._users.get(identifier)
        if known is not None:
            return known
        user: PersistedUser | None = await self.layer.get_user(identifier)
        if user is None:
            user = await self.layer.create_user(User(identifier=identifier))
        if user is None:
            raise RuntimeError(f"the data layer did not create user {identifier!r}")
        self._users.remember(identifier, user.id)
        return user.id

    async def _content(self, file_id: str | None, thread_id: str) -> bytes | None:
        """The bytes of the uploaded file an element shows (claimed for the thread)."""
        if not file_id or self.storage is None:
            return None
        usable = or_(FILES.c.thread_id == thread_id, FILES.c.thread_id.is_(None))
        async with self.files_engine.begin() as conn:
            row = (await conn.execute(select(FILES).where(FILES.c.id == file_id, usable))).first()
            if row is None:
                return None
            if row.thread_id is None:
                await conn.execute(
                    update(FILES).where(FILES.c.id == file_id).values(thread_id=thread_id)
                )
        chunks = [chunk async for chunk in await self.storage.open(row.object_key)]
        return b"".join(chunks)

    # --- owner checks -------------------------------------------------------

    async def thread_owner(self, thread_id: str) -> ThreadOwner | None:
        """``get_thread_author``; Chainlit's layers raise ValueError for no such thread."""
        try:
            author = await self.layer.get_thread_author(thread_id)
        except ValueError:
            return None
        return ThreadOwner(author or None)

    async def _owns(self, thread_id: str, caller: str | None) -> bool:
        owner = await self.thread_owner(thread_id)
        return owner is not None and caller is not None and owner.identifier == caller

    # --- read path ----------------------------------------------------------

    def _thread(self, raw: Any, owner: str | None = None) -> ThreadDict | None:
        """The data layer's thread in Switchboard's schema; a step or element that does
        not fit is left out (logged) rather than hiding the whole thread."""
        if raw is None:
            return None
        data = dict(raw)
        thread_id = str(data.get("id"))
        data["metadata"] = data.get("metadata") or {}
        data["createdAt"] = data.get("createdAt") or ""
        if owner is not None and not data.get("userIdentifier"):
            data["userIdentifier"] = owner
        steps: list[StepDict] = []
        for raw_step in data.get("steps") or []:
            step = dict(raw_step)
            if step.get("id"):
                self._step_threads.remember(str(step["id"]), thread_id)
            if step.get("type") not in STEP_TYPES:
                step["type"] = "undefined"
            feedback = step.get("feedback")
            if feedback:
                feedback = dict(feedback)
                feedback["id"] = self._browser_feedback_id(thread_id, feedback.get("id"))
                feedback["value"] = 1 if feedback.get("value") else 0
                step["feedback"] = feedback
            try:
                steps.append(StepDict.model_validate(step))
            except ValidationError as exc:
                logger.warning("thread %s: step %s left out: %s", thread_id, step.get("id"), exc)
        elements = [
            e for e in (_element_dict(thread_id, r) for r in data.get("elements") or []) if e
        ]
        data["steps"] = steps
        data["elements"] = elements
        try:
            return ThreadDict.model_validate(data)
        except ValidationError as exc:
            logger.warning("the data layer's thread %s does not validate: %s", thread_id, exc)
            return None

    def _browser_feedback_id(self, thread_id: str, layer_id: Any) -> str | None:
        if not layer_id:
            return None
        layer_id = str(layer_id)
        shown = layer_id if is_uuid_id(layer_id) else str(uuid.uuid5(_FEEDBACK_NS, layer_id))
        self._feedback.remember(shown, (thread_id, layer_id))
        return shown

    async def get_thread(self, thread_id: str) -> ThreadDict | None:
        raw = await self.layer.get_thread(thread_id)
        owner = None
        if raw is not None and not raw.get("userIdentifier"):
            # Some data layers keep only the user id on the thread: ask who owns it.
            found = await self.thread_owner(thread_id)
            owner = found.identifier if found is not None else None
        return self._thread(raw, owner)

    async def get_element(
        self, thread_id: str, element_id: str, caller: str | None
    ) -> ElementDict | None:
        if not await self._owns(thread_id, caller):
            return None
        raw = await self.layer.get_element(thread_id, element_id)
        return _element_dict(thread_id, raw) if raw is not None else None

    async def list_threads(self, owner: str, request: ThreadListRequest) -> ThreadPage:
        user = await self.layer.get_user(owner)
        empty = ThreadPage(pageInfo=PageInfo(hasNextPage=False), data=[])
        if user is None:
            return empty
        wanted = request.filter
        filters = ThreadFilter(userId=user.id, search=wanted.search, feedback=wanted.feedback)
        first = request.pagination.first
        cursor = request.pagination.cursor
        layer_cursor: str | None = None
        if cursor is not None:
            layer_cursor = self._cursors.get(f"{owner}\n{cursor}")
            if layer_cursor is None:
                layer_cursor = await self._walk_to(owner, filters, first, cursor)
                if layer_cursor is None:
                    return empty
        page = await self.layer.list_threads(Pagination(first=first, cursor=layer_cursor), filters)
        threads = []
        for raw in page.data:
            thread = self._thread(raw, owner)
            if thread is None or thread.userIdentifier not in (None, owner):
                continue
            # A listing names threads; their steps are read when one is opened.
            threads.append(thread.model_copy(update={"steps": [], "elements": []}))
        end = threads[-1].id if threads else None
        more = bool(page.pageInfo.hasNextPage) and end is not None
        if more and end is not None and page.pageInfo.endCursor is not None:
            self._cursors.remember(f"{owner}\n{end}", page.pageInfo.endCursor)
        return ThreadPage(
            pageInfo=PageInfo(
                hasNextPage=more,
                startCursor=threads[0].id if threads else None,
                endCursor=end if more else None,
            ),
            data=threads,
        )

    async def _walk_to(
        self, owner: str, filters: ThreadFilter, first: int, thread_id: str
    ) -> str | None:
        """The data layer's cursor after ``thread_id``, paging from the start (cursor not known)."""
        layer_cursor: str | None = None
        for _ in range(_MAX_WALK):
            page = await self.layer.list_threads(
                Pagination(first=first, cursor=layer_cursor), filters
            )
            ids = [str(t["id"]) for t in page.data]
            if thread_id in ids:
                if ids[-1] == thread_id:
                    return page.pageInfo.endCursor
                # Chainlit's SQL layer takes a thread id as its cursor.
                return thread_id
            if not page.pageInfo.hasNextPage or not page.pageInfo.endCursor:
                return None
            layer_cursor = page.pageInfo.endCursor
        return None

    async def rename(self, thread_id: str, caller: str | None, name: str) -> bool:
        if not await self._owns(thread_id, caller):
            return False
        await self.layer.update_thread(thread_id, name=name)
        return True

    async def share(self, thread_id: str, caller: str | None, is_shared: bool) -> bool:
        if not await self._owns(thread_id, caller):
            return False
        metadata: dict[str, Any] = {"is_shared": is_shared}
        metadata["shared_at"] = iso(datetime.now(UTC)) if is_shared else None
        await self.layer.update_thread(thread_id, metadata=metadata)
        return True

    async def delete(self, thread_id: str, caller: str | None) -> bool:
        if not await self._owns(thread_id, caller):
            return False
        await self.layer.delete_thread(thread_id)
        return True

    async def upsert_feedback(
        self, caller: str | None, feedback: FeedbackIn
    ) -> FeedbackSaved | None:
        thread_id = feedback.threadId or self._step_threads.get(feedback.forId)
        if thread_id is None and caller is not None:
            await self._read_recent_threads(caller)
            thread_id = self._step_threads.get(feedback.forId)
        if thread_id is None or not await self._owns(thread_id, caller):
            return None
        layer_id = None
        if feedback.id is not None:
            known = self._feedback.get(feedback.id)
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
        shown = self._browser_feedback_id(thread_id, saved)
        return FeedbackSaved(feedbackId=shown or "", forId=feedback.forId, threadId=thread_id)

    async def delete_feedback(self, caller: str | None, feedback_id: str) -> bool:
        """Feedback this process has saved or shown, else found in the caller's recent threads.

        ``BaseDataLayer`` cannot say which thread a feedback id belongs to; reading the
        caller's own latest threads (never anyone else's) finds it on another replica.
        """
        known = self._feedback.get(feedback_id)
        if known is None and caller is not None:
            await self._read_recent_threads(caller)
            known = self._feedback.get(feedback_id)
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
                self._thread(await self.layer.get_thread(thread_id), owner)

    # --- files --------------------------------------------------------------

    async def thread_usable(self, thread_id: str, caller: str | None) -> bool:
        owner = await self.thread_owner(thread_id)
        return owner is None or owner.identifier in (None, caller)

    async def shows_file(self, thread_id: str, file_id: str) -> bool:
        thread = await self.layer.get_thread(thread_id)
        return thread is not None and any(
            e.get("chainlitKey") == file_id for e in thread.get("elements") or []
        )
