"""One limiter for every client event: a size and a rate per kind of event.

Every event a client can send costs something downstream (a Redis entry, a
job, a publish to every worker, an emit back), so each kind has a rule: the
largest payload taken and a per-socket token bucket (``burst`` at once,
``per_second`` sustained). Events that become work for the session's worker
also take a place in its inbox, bounded by ``max_session_inputs``; messages
keep their per-user rate in Redis besides (see ``limits.InputLimits``).

The buckets are per socket and in process: a rate limit must not cost a Redis
round trip per event, and a client flooding one socket is what they stop. A
refused event still spends a token (down to ``-burst``): a client that keeps
sending faster than the rate stays refused instead of getting one event through
each time the bucket refills, so its refusals come in a row however fast the
gateway reads them. A socket that keeps sending after ``FLOOD_REFUSALS``
refusals in a row is disconnected rather than answered again and again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from pydantic import BaseModel, Field

__all__ = (
    "DEFAULT_RULES",
    "FLOOD_REFUSALS",
    "RESERVED_EVENTS",
    "EventBuckets",
    "EventRule",
    "Verdict",
    "payload_size",
)

# Names Socket.IO keeps for itself; a client event so named is refused.
RESERVED_EVENTS = frozenset({"connect", "connect_error", "disconnect", "disconnecting"})
# Refusals in a row after which a socket is dropped instead of answered.
FLOOD_REFUSALS = 50

KIB = 1024


class EventRule(BaseModel):
    """The limits of one kind of client event."""

    max_bytes: int = Field(ge=0)
    per_second: float = Field(gt=0)
    burst: int = Field(ge=1)
    # Takes a place in the session's inbox (becomes work for its worker).
    queued: bool = False
    # The error code of a payload over ``max_bytes``.
    too_large: str = "message_too_large"


def _rule(
    max_bytes: int,
    per_second: float,
    burst: int,
    *,
    queued: bool = False,
    too_large: str = "message_too_large",
) -> EventRule:
    return EventRule(
        max_bytes=max_bytes,
        per_second=per_second,
        burst=burst,
        queued=queued,
        too_large=too_large,
    )


# ``max_bytes`` of 0 means "the gateway's max_event_bytes". Events that carry
# nothing get a small allowance for clients that send an empty object.
DEFAULT_RULES: dict[str, EventRule] = {
    "client_message": _rule(0, per_second=5, burst=20),
    "edit_message": _rule(0, per_second=2, burst=10),
    "window_message": _rule(64 * KIB, per_second=10, burst=20, queued=True),
    "chat_settings_change": _rule(64 * KIB, per_second=5, burst=10, queued=True),
    "chat_settings_edit": _rule(64 * KIB, per_second=10, burst=20, queued=True),
    "stop": _rule(1 * KIB, per_second=2, burst=5),
    "audio_start": _rule(1 * KIB, per_second=1, burst=3, queued=True),
    "audio_chunk": _rule(256 * KIB, per_second=50, burst=100, too_large="audio_chunk_too_large"),
    "audio_end": _rule(1 * KIB, per_second=1, burst=3, queued=True),
    "connection_successful": _rule(1 * KIB, per_second=1, burst=3),
    "clear_session": _rule(1 * KIB, per_second=2, burst=5),
    "fetch_favorites": _rule(1 * KIB, per_second=1, burst=5),
    "message_favorite": _rule(64 * KIB, per_second=2, burst=10),
    # Anything else, reserved names included: answered with an error, at a price.
    "unknown": _rule(1 * KIB, per_second=2, burst=10),
}


def payload_size(data: Any) -> int | None:
    """Bytes of a payload as it would travel on, or None if it is not JSON.

    Binary is not JSON, at the top as anywhere inside: the one event that takes
    binary (``audio_chunk``) measures its own size.
    """
    try:
        return len(orjson.dumps(data))
    except TypeError:
        return None  # binary nested where JSON is expected


@dataclass(frozen=True, slots=True)
class Verdict:
    """Why an event is refused (``code`` and ``message`` for the client)."""

    code: str
    message: str
    flooding: bool = False


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


@dataclass(slots=True)
class EventBuckets:
    """One socket's token buckets, a bucket per kind of event."""

    rules: dict[str, EventRule]
    max_event_bytes: int
    buckets: dict[str, _Bucket] = field(default_factory=dict)
    clock: Callable[[], float] = time.monotonic
    refusals_in_a_row: int = 0

    def rule(self, event: str) -> EventRule:
        return self.rules.get(event) or self.rules["unknown"]

    def max_bytes(self, event: str) -> int:
        limit = self.rule(event).max_bytes
        return min(limit, self.max_event_bytes) if limit else self.max_event_bytes

    def check(self, event: str, data: Any, *, size: int | None = None) -> Verdict | None:
        """Spend a token for ``event`` if its size and rate allow it, else say why."""
        verdict = self._check(event, data, size)
        if verdict is None:
            self.refusals_in_a_row = 0
            return None
        self.refusals_in_a_row += 1
        if self.refusals_in_a_row >= FLOOD_REFUSALS:
            return Verdict(verdict.code, verdict.message, flooding=True)
        return verdict

    def _check(self, event: str, data: Any, size: int | None) -> Verdict | None:
        limit = self.max_bytes(event)
        measured = size if size is not None else payload_size(data)
        if measured is None:
            return Verdict("invalid_payload", f"{event} must be JSON")
        rule = self.rule(event)
        if measured > limit:
            return Verdict(rule.too_large, f"{event} exceeds {limit} bytes")
        key = event if event in self.rules else "unknown"
        now = self.clock()
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = _Bucket(tokens=float(rule.burst), updated=now)
        else:
            bucket.tokens = min(
                float(rule.burst), bucket.tokens + (now - bucket.updated) * rule.per_second
            )
            bucket.updated = now
        if bucket.tokens < 1.0:
            # Sending on while refused digs deeper, down to a burst's worth.
            bucket.tokens = max(bucket.tokens - 1.0, -float(rule.burst))
            return Verdict(
                "rate_limited",
                f"at most {rule.per_second:g} {event} events per second; slow down",
            )
        bucket.tokens -= 1.0
        return None
