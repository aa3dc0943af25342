"""The seam between the persistence service and where conversations are kept.

The consumer and the REST routes speak to one :class:`ConversationStore`; what sits
behind it is a storage mode: Switchboard's own schema, a database Chainlit's
SQLAlchemy data layer created (used in place), or an app-supplied data layer.
Uploaded files are not part of it: their rows stay in Switchboard's own database
(:mod:`switchboard_persistence.files`), which asks the store only the two questions
of :class:`FileThreads`.

Contract every implementation keeps, because the rest of the service relies on it:

- ``apply`` is all or nothing, in order, and idempotent by natural key: the
  consumer acknowledges a batch only after it returns and redelivers it otherwise.
  It raises :class:`~switchboard_persistence.errors.InvalidEvent` for an event that
  can never be stored (dead-lettered at once) and anything else for an outage
  (retried until it passes).
- Owner checks happen here, not in the caller's data: every read or change that
  takes ``caller`` answers as if the thread did not exist when it is not the
  caller's (``caller`` None means anonymous: threads without an owner). Only
  :meth:`ConversationStore.thread_owner` and :meth:`ConversationStore.get_thread`
  are unchecked; routes call the first before the second.
- Ids reaching a store have already been shape-checked by the routes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from switchboard.schema import ElementDict, PersistEvent, ThreadDict
from switchboard.schema.history import FeedbackIn, FeedbackSaved, ThreadListRequest, ThreadPage

__all__ = ("ConversationStore", "EventWriter", "FileThreads", "ThreadOwner")


@dataclass(frozen=True, slots=True)
class ThreadOwner:
    """Who a stored thread belongs to; ``identifier`` None: an anonymous thread."""

    identifier: str | None


@runtime_checkable
class EventWriter(Protocol):
    """The write path alone: what the persistence stream's consumer needs."""

    async def apply(self, events: Sequence[PersistEvent]) -> None:
        """Apply persist events in order, all or nothing (see the module's contract)."""
        ...


@runtime_checkable
class FileThreads(Protocol):
    """What the file routes need to know about threads, whatever stores them."""

    async def thread_usable(self, thread_id: str, caller: str | None) -> bool:
        """A file may be attached: the thread is the caller's, unclaimed, or not stored yet."""
        ...

    async def shows_file(self, thread_id: str, file_id: str) -> bool:
        """An element of the (live) thread shows the file ``file_id`` (its ``chainlitKey``)."""
        ...


@runtime_checkable
class ConversationStore(EventWriter, FileThreads, Protocol):
    """Threads, steps, elements and feedback: the write path and the read path."""

    # --- lifecycle ----------------------------------------------------------

    async def ping(self) -> None:
        """Readiness: raise when the backing store cannot serve (down, schema missing)."""
        ...

    async def close(self) -> None:
        """Release connections; called once at shutdown."""
        ...

    # --- read path (the REST API) --------------------------------------------

    async def thread_owner(self, thread_id: str) -> ThreadOwner | None:
        """The owner of a live thread; None when there is no such thread."""
        ...

    async def get_thread(self, thread_id: str) -> ThreadDict | None:
        """The thread with steps (feedback embedded) and elements. Unchecked: see above."""
        ...

    async def get_element(
        self, thread_id: str, element_id: str, caller: str | None
    ) -> ElementDict | None:
        """The element when its thread is the caller's."""
        ...

    async def list_threads(self, owner: str, request: ThreadListRequest) -> ThreadPage:
        """A page of ``owner``'s threads, latest activity first; cursors are thread ids."""
        ...

    async def rename(self, thread_id: str, caller: str | None, name: str) -> bool:
        """Rename the caller's thread; False when it is not theirs."""
        ...

    async def share(self, thread_id: str, caller: str | None, is_shared: bool) -> bool:
        """Set ``metadata.is_shared`` (and ``shared_at``); False when not the caller's."""
        ...

    async def delete(self, thread_id: str, caller: str | None) -> bool:
        """Delete the caller's thread; False when it is not theirs."""
        ...

    async def upsert_feedback(
        self, caller: str | None, feedback: FeedbackIn
    ) -> FeedbackSaved | None:
        """Rate a step of the caller's thread; None when the step or feedback is not theirs."""
        ...

    async def delete_feedback(self, caller: str | None, feedback_id: str) -> bool:
        """Remove the caller's feedback; False when it is not theirs."""
        ...
