"""Which thread a persist event writes to, and whether it can be stored at all."""

from __future__ import annotations

from datetime import UTC, datetime

from switchboard.schema import PersistEvent, StepDelete, StepUpsert
from switchboard.schema.persist import ElementDelete, ElementUpsert
from switchboard_persistence.db.models import ID_MAX
from switchboard_persistence.errors import InvalidEvent

__all__ = ("event_time", "thread_of", "validate_event")


def event_time(event: PersistEvent) -> datetime:
    """When the producer emitted the event, as an aware UTC datetime."""
    return datetime.fromtimestamp(event.ts, UTC)


def thread_of(event: PersistEvent) -> str | None:
    """The thread an event writes to: the producer's envelope first, then the step's own field."""
    thread_id: str | None = event.thread_id
    if not thread_id and isinstance(event, StepUpsert | ElementUpsert):
        thread_id = event.payload.threadId
    return thread_id or None


def _check_id(value: str | None, what: str, *, required: bool) -> None:
    if value is None or value == "":
        if required:
            raise InvalidEvent(f"{what} is missing")
        return
    if len(value) > ID_MAX:
        raise InvalidEvent(f"{what} is longer than {ID_MAX} characters")


def validate_event(event: PersistEvent) -> None:
    """Reject what parses but cannot be stored, before it reaches a transaction."""
    _check_id(thread_of(event), "thread id", required=True)
    if isinstance(event, StepUpsert):
        _check_id(event.payload.id, "step id", required=True)
        _check_id(event.payload.parentId, "parent id", required=False)
    elif isinstance(event, StepDelete):
        _check_id(event.payload.id, "step id", required=True)
    elif isinstance(event, ElementUpsert):
        _check_id(event.payload.id, "element id", required=True)
        _check_id(event.payload.forId, "element forId", required=False)
        _check_id(event.payload.chainlitKey, "element chainlitKey", required=False)
    elif isinstance(event, ElementDelete):
        _check_id(event.payload.id, "element id", required=True)
