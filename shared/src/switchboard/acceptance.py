"""What a client message is offered with, and what becomes of it.

The values of :meth:`switchboard.streams.Streams.accept_message` and
:meth:`~switchboard.streams.Streams.admission`, and the thread upsert a
session's first interaction writes.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from switchboard.schema.envelope import Envelope
from switchboard.schema.jobs import SessionInput
from switchboard.schema.persist import ThreadUpsert, ThreadUpsertPayload
from switchboard.schema.session import SessionRecord

__all__ = ("THREAD_NAME_MAX", "Acceptance", "Admission", "MessageOffer", "thread_created")

THREAD_NAME_MAX = 255


class Acceptance(enum.Enum):
    """What became of a client message offered with ``Streams.accept_message``."""

    FIRST = "first"  # queued, and it was the session's first interaction
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"  # a message with this id is already queued or done
    GONE = "gone"  # the session has ended
    MOVED = "moved"  # the session now writes to another thread: re-read it
    RATE_LIMITED = "rate_limited"
    SESSION_FULL = "session_full"
    OVERLOADED = "overloaded"


@dataclass(frozen=True, slots=True)
class MessageOffer:
    """A client message and everything it writes once accepted."""

    thread_id: str
    thread: ThreadUpsert
    step: Envelope
    # The input as queued when it is the first interaction, and otherwise.
    first_input: SessionInput
    later_input: SessionInput
    # The sender's per-minute counter, and its limit (0: none).
    rate_key: str
    rate_limit: int
    max_session_inputs: int
    max_queue_depth: int


class Admission(enum.Enum):
    """Whether a client message may be queued now."""

    OPEN = "open"
    SESSION_FULL = "session_full"
    OVERLOADED = "overloaded"


def thread_created(session: SessionRecord, interaction: str, *, auto_tag: bool) -> ThreadUpsert:
    """The thread upsert that a session's first interaction writes (Chainlit's init_thread)."""
    tags = [session.chat_profile] if auto_tag and session.chat_profile else None
    return ThreadUpsert(
        session_id=session.id,
        thread_id=session.thread_id,
        payload=ThreadUpsertPayload(
            name=interaction[:THREAD_NAME_MAX],
            user_id=session.user.id if session.user else None,
            user_identifier=session.owner,
            tags=tags,
        ),
    )
