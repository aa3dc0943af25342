"""The app data layer's write path: persist events become data-layer calls.

A batch is planned into one lane per thread (:mod:`.app_layer_batches`): a thread's
events go to the data layer in stream order, the lanes at the same time with at most
``_CONCURRENT_CALLS`` calls in flight. Each event is one call (``update_thread``,
``create_step`` the first time this process sees a step and ``update_step`` after,
``delete_step``, ``create_element``, ``delete_element``), except runs of step upserts
when the layer's step writes can be batched (:mod:`.sql_layer_steps`): the lanes' runs
then go to the database together, in one transaction per group commit.

A call that raises leaves the batch unacknowledged: the consumer retries it, so
nothing is lost while the data layer's database is down, and redelivery repeats calls
already made (the layer's writes must be idempotent, as Chainlit's upserts are).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from switchboard.data.base import BaseDataLayer
from switchboard.data.utils import writing_thread
from switchboard.schema import PersistEvent, StepDelete, StepUpsert, ThreadUpsert
from switchboard.schema.persist import ElementDelete, ElementUpsert
from switchboard.sdk.user import PersistedUser, User
from switchboard_persistence.elements import attach_file
from switchboard_persistence.storage import ObjectStorage
from switchboard_persistence.stores.app_layer_batches import GroupCommit, Lane, plan_lanes
from switchboard_persistence.stores.app_layer_memory import LayerMemory
from switchboard_persistence.stores.app_layer_shapes import layer_element, step_values
from switchboard_persistence.stores.base import ThreadOwner
from switchboard_persistence.stores.sql_layer_steps import SqlLayerSteps
from switchboard_persistence.validation import validate_event

__all__ = ("AppLayerWriter", "DataLayerUnavailable", "UploadedContent", "layer_thread_owner")

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

# Data-layer calls in flight at once for a batch, whatever its number of threads.
_CONCURRENT_CALLS = 8


class DataLayerUnavailable(ConnectionError):
    """The app's data layer raised something other than a complaint about the data."""


async def checked(call: Awaitable[_T]) -> _T:
    """``call``'s result; what it raises is either about the data or an outage."""
    try:
        return await call
    except (ValueError, TypeError, LookupError, OSError, DBAPIError):
        raise  # the consumer tells a bad entry from an outage (``is_outage``)
    except Exception as exc:
        # Not a complaint about the data: the data layer's store is away. The consumer
        # then keeps the batch, in order, until it passes.
        raise DataLayerUnavailable(f"the app's data layer failed: {exc!r}") from exc


async def layer_thread_owner(layer: BaseDataLayer, thread_id: str) -> ThreadOwner | None:
    """``get_thread_author``; Chainlit's layers raise ValueError for no such thread."""
    try:
        author = await layer.get_thread_author(thread_id)
    except ValueError:
        return None
    return ThreadOwner(author or None)


@dataclass(frozen=True, slots=True)
class UploadedContent:
    """The bytes of uploaded files, kept in Switchboard's database and object storage."""

    files_engine: AsyncEngine
    storage: ObjectStorage | None

    async def read(self, file_id: str | None, thread_id: str) -> bytes | None:
        """The file an element shows (claimed for the thread), None when there is none."""
        if not file_id or self.storage is None:
            return None
        async with self.files_engine.begin() as conn:
            row = await attach_file(conn, file_id, thread_id)
        if row is None:
            return None
        chunks = [chunk async for chunk in await self.storage.open(row.object_key)]
        return b"".join(chunks)


class AppLayerWriter:
    """Applies persist events to one data layer (see the module's docstring)."""

    def __init__(
        self,
        layer: BaseDataLayer,
        memory: LayerMemory,
        content: UploadedContent,
        steps: SqlLayerSteps | None = None,
    ) -> None:
        self.layer = layer
        self.memory = memory
        self.content = content
        self.steps = steps

    async def apply(self, events: Sequence[PersistEvent]) -> None:
        for event in events:
            validate_event(event)
        gate = asyncio.Semaphore(_CONCURRENT_CALLS)
        commit = GroupCommit(self._write_steps) if self.steps is not None else None
        try:
            results = await asyncio.gather(
                *(self._lane(lane, gate, commit) for lane in plan_lanes(events)),
                return_exceptions=True,
            )
        finally:
            if commit is not None:
                await commit.close()
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def _lane(
        self, lane: Lane, gate: asyncio.Semaphore, commit: GroupCommit[dict[str, Any]] | None
    ) -> None:
        thread_id = lane.thread_id
        with writing_thread(thread_id):
            for segment in lane.segments():
                if not isinstance(segment, list):
                    async with gate:
                        await checked(self._one(segment, thread_id))
                elif commit is not None:
                    steps = [self._step_dict(event, thread_id) for event in segment]
                    await commit.write(steps)
                    for step in steps:
                        self.memory.created.remember(
                            self.memory.step_key(thread_id, str(step["id"])), True
                        )
                else:
                    for event in segment:
                        async with gate:
                            await checked(self._step(event, thread_id))

    async def _write_steps(self, steps: list[dict[str, Any]]) -> None:
        assert self.steps is not None  # only a batching writer makes a group commit
        await checked(self.steps.write(steps))

    def _step_dict(self, event: StepUpsert, thread_id: str) -> dict[str, Any]:
        step = step_values(event.payload)
        step["threadId"] = thread_id
        self.memory.step_threads.remember(str(step["id"]), thread_id)
        return step

    async def _step(self, event: StepUpsert, thread_id: str) -> None:
        step = self._step_dict(event, thread_id)
        key = self.memory.step_key(thread_id, str(step["id"]))
        if key in self.memory.created:
            await self.layer.update_step(step)  # type: ignore[arg-type]
        else:
            await self.layer.create_step(step)  # type: ignore[arg-type]
            self.memory.created.remember(key, True)

    async def _one(self, event: PersistEvent, thread_id: str) -> None:
        if isinstance(event, ThreadUpsert):
            await self._thread_upsert(event, thread_id)
        elif isinstance(event, StepUpsert):
            await self._step(event, thread_id)
        elif isinstance(event, StepDelete):
            await self.layer.delete_step(event.payload.id)
        elif isinstance(event, ElementUpsert):
            content = await self.content.read(event.payload.chainlitKey, thread_id)
            await self.layer.create_element(layer_element(event.payload, thread_id, content))
        elif isinstance(event, ElementDelete):
            await self.layer.delete_element(event.payload.id, thread_id)

    async def _thread_upsert(self, event: ThreadUpsert, thread_id: str) -> None:
        payload = event.payload
        user_id = None
        identifier = payload.user_identifier
        if identifier:
            owner = await layer_thread_owner(self.layer, thread_id)
            if owner is not None and owner.identifier not in (None, identifier):
                # A thread never changes hands, and another user's thread is not touched.
                logger.warning(
                    "thread upsert for another user's thread ignored",
                    extra={"thread_id": thread_id, "session_id": event.session_id},
                )
                return
            if owner is None or owner.identifier is None:
                user_id = await self._user_id(identifier)
        metadata = dict(payload.metadata) if payload.metadata is not None else None
        await self.layer.update_thread(
            thread_id, name=payload.name, user_id=user_id, metadata=metadata, tags=payload.tags
        )

    async def _user_id(self, identifier: str) -> str:
        known = self.memory.users.get(identifier)
        if known is not None:
            return known
        user: PersistedUser | None = await self.layer.get_user(identifier)
        if user is None:
            user = await self.layer.create_user(User(identifier=identifier))
        if user is None:
            raise RuntimeError(f"the data layer did not create user {identifier!r}")
        self.memory.users.remember(identifier, user.id)
        return user.id
