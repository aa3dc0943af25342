"""Backpressure at the edge: how much one session, one user and one slow client may hold.

- A session may have at most ``max_session_inputs`` messages waiting for a worker.
- A user (or an anonymous session) may send at most ``user_messages_per_minute``.
- The queue of all sessions may hold at most ``max_queue_depth`` jobs; past it,
  new messages are shed with an ``overloaded`` error and a metric.
- A socket whose outgoing backlog passes ``max_client_backlog`` packets is
  disconnected: its events stay in the session's Redis stream and the client
  resumes from its last event id, so a slow reader costs Redis (capped per
  stream), never unbounded gateway memory.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import socketio

from switchboard.aio import resolved
from switchboard.schema.session import SessionRecord
from switchboard.streams import Acceptance, Admission, Streams
from switchboard_gateway.metrics import SHED, SLOW_CLIENTS

__all__ = ("InputLimits", "Refusal", "client_backlog", "drop_slow_client")

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Refusal:
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class InputLimits:
    max_session_inputs: int = 20
    max_queue_depth: int = 10_000
    user_messages_per_minute: int = 120
    max_client_backlog: int = 5_000

    def rate_key(self, streams: Streams, session: SessionRecord) -> str:
        """The sender's message counter of the current minute."""
        who = f"u:{session.owner}" if session.owner else f"s:{session.id}"
        return streams.names.message_rate(who, int(time.time() // 60))

    def refusal(self, outcome: Acceptance, session: SessionRecord) -> Refusal | None:
        """What to tell the sender of a message ``accept_message`` turned down."""
        if outcome is Acceptance.RATE_LIMITED:
            SHED.labels(reason="rate_limited").inc()
            return Refusal(
                "rate_limited",
                f"at most {self.user_messages_per_minute} messages per minute; "
                "wait a moment and send again",
            )
        if outcome is Acceptance.SESSION_FULL:
            SHED.labels(reason="session_full").inc()
            return Refusal(
                "too_many_messages",
                f"{self.max_session_inputs} messages are already waiting in this session",
            )
        if outcome is Acceptance.OVERLOADED:
            SHED.labels(reason="overloaded").inc()
            logger.warning("message shed: queue full", extra={"session_id": session.id})
            return Refusal("overloaded", "the service is busy; try again in a moment")
        return None

    async def check(self, streams: Streams, session: SessionRecord) -> Refusal | None:
        """Why this session's next input must be refused now, or None (for inputs that
        do not go through ``accept_message``)."""
        if self.user_messages_per_minute > 0:
            key = self.rate_key(streams, session)
            async with streams.redis.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, 120)
                count, _ = await pipe.execute()
            if int(count) > self.user_messages_per_minute:
                return self.refusal(Acceptance.RATE_LIMITED, session)
        admission = await streams.admission(
            session.id,
            max_session_inputs=self.max_session_inputs,
            max_queue_depth=self.max_queue_depth,
        )
        if admission is Admission.SESSION_FULL:
            return self.refusal(Acceptance.SESSION_FULL, session)
        if admission is Admission.OVERLOADED:
            return self.refusal(Acceptance.OVERLOADED, session)
        return None


def client_backlog(sio: socketio.AsyncServer, sid: str) -> int:
    """Packets queued for one client and not yet written to its transport."""
    eio_sid = sio.manager.eio_sid_from_sid(sid, "/")
    socket: Any = sio.eio.sockets.get(eio_sid) if eio_sid else None
    queue = getattr(socket, "queue", None)
    return int(queue.qsize()) if queue is not None else 0


async def drop_slow_client(sio: socketio.AsyncServer, sid: str, session_id: str) -> None:
    SLOW_CLIENTS.inc()
    logger.warning("slow client disconnected", extra={"session_id": session_id, "sid": sid})
    await resolved(sio.disconnect(sid))
