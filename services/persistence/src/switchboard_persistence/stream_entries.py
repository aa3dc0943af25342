"""Entries of the persistence stream: parsing one into an event, and ordering stream ids."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from switchboard.schema import PersistEvent, persist_event_adapter
from switchboard_persistence.errors import InvalidEvent
from switchboard_persistence.validation import validate_event

__all__ = ("ERROR_MAX", "Entry", "after", "id_key", "parse_entry", "text")

# Error texts kept in logs and dead letters are cut to this many characters.
ERROR_MAX = 2000


@dataclass(slots=True)
class Entry:
    stream_id: str
    raw: bytes | None
    event: PersistEvent | None = None
    error: str | None = None

    def log_extra(self, **more: Any) -> dict[str, Any]:
        extra: dict[str, Any] = {"stream_id": self.stream_id, **more}
        if self.event is not None:
            extra["thread_id"] = self.event.thread_id
            extra["session_id"] = self.event.session_id
        return extra


def text(value: Any) -> str:
    """A Redis reply field as text."""
    return value.decode() if isinstance(value, bytes) else str(value)


def parse_entry(stream_id: str, fields: dict[bytes, bytes]) -> Entry:
    """The entry with its event, or with the reason it cannot be applied."""
    raw = fields.get(b"e")
    if raw is None:
        return Entry(stream_id, None, error="entry has no 'e' field")
    try:
        event = persist_event_adapter.validate_json(raw)
        validate_event(event)
    except ValidationError as exc:
        return Entry(stream_id, raw, error=f"invalid event: {exc}"[:ERROR_MAX])
    except InvalidEvent as exc:
        return Entry(stream_id, raw, error=f"invalid event: {exc}"[:ERROR_MAX])
    return Entry(stream_id, raw, event)


def after(stream_id: str) -> str:
    """The smallest stream id greater than ``stream_id``."""
    ms, _, seq = stream_id.partition("-")
    return f"{ms}-{int(seq or 0) + 1}"


def id_key(stream_id: str) -> tuple[int, int]:
    """A sort key that orders stream ids as Redis does."""
    ms, _, seq = stream_id.partition("-")
    return int(ms), int(seq or 0)
