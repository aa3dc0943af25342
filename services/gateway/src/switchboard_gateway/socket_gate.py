"""The gate every client event passes: session lookup, size and rate, refusals.

A refused event is answered with an ``error`` event and one log line; the
socket's session state being gone ends the socket (the client starts anew).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import socketio
from pydantic import ValidationError
from redis.exceptions import RedisError

from switchboard.config import AppConfig
from switchboard.schema.events import ErrorPayload
from switchboard.schema.session import SessionRecord, UserRef
from switchboard.session_state import SessionState
from switchboard.streams import Admission, Streams
from switchboard_gateway.event_limits import (
    EventBuckets,
    EventRule,
)
from switchboard_gateway.limits import InputLimits
from switchboard_gateway.metrics import CLIENT_EVENT_SECONDS, CLIENT_EVENTS, REFUSED

__all__ = ("SocketGate", "SocketState", "describe", "guard")

logger = logging.getLogger(__name__)

UNAVAILABLE = "unavailable"
UNAVAILABLE_TEXT = "The server is briefly unavailable; this event was not taken. Try again."
SESSION_EXPIRED = "session_expired"
SESSION_EXPIRED_TEXT = (
    "This session's state was lost (the server restarted). "
    "Reconnect to start a new session; what was in progress did not finish."
)

# The outcome of the client event this task is handling, for its latency metric:
# ``guard`` sets it, a refusal (``SocketGate._error``) marks it.
_OUTCOME: ContextVar[list[str] | None] = ContextVar("client_event_outcome", default=None)


@dataclass
class SocketState:
    session: SessionRecord
    user: UserRef | None
    buckets: EventBuckets
    token_id: str | None = None
    # The token's user credentials and expiry, re-checked while the socket lives.
    credential_version: str | None = None
    expires_at: int | None = None
    clear_on_disconnect: bool = False
    # Told its session state is gone; being disconnected.
    expired: bool = False


class SocketGate:
    """State and checks shared by the lifecycle and client event handlers."""

    sio: socketio.AsyncServer
    streams: Streams
    state: SessionState
    config: AppConfig
    limits: InputLimits
    event_rules: dict[str, EventRule]
    max_event_bytes: int
    sockets: dict[str, SocketState]

    async def _error(self, sid: str, code: str, message: str, event: str | None) -> None:
        REFUSED.labels(code=code).inc()
        outcome = _OUTCOME.get()
        if outcome is not None and outcome[0] == "ok":
            outcome[0] = "refused"
        state = self.sockets.get(sid)
        logger.info(
            "client event refused",
            extra={
                "sid": sid,
                "session_id": state.session.id if state else None,
                "client_event": event,
                "code": code,
                "reason": message[:200],
            },
        )
        payload = ErrorPayload(code=code, message=message, event=event)
        await self.sio.emit("error", payload.model_dump(), to=sid)

    async def _admit(
        self, sid: str, event: str, data: Any, *, size: int | None = None
    ) -> SocketState | None:
        """The socket's state if ``event`` fits its kind's size and rate, else None.

        The one gate every client event passes: a refused event gets an
        ``error`` event and one log line, and a socket that keeps sending
        refused events is dropped.
        """
        CLIENT_EVENTS.labels(event=event if event in self.event_rules else "unknown").inc()
        state = self.sockets.get(sid)
        if state is None:
            await self._error(sid, "session_not_found", "Session not found", event)
            return None
        verdict = state.buckets.check(event, data, size=size)
        if verdict is None:
            return state
        if verdict.flooding:
            logger.warning(
                "socket dropped: refused events kept coming",
                extra={"sid": sid, "session_id": state.session.id, "client_event": event},
            )
            REFUSED.labels(code="flooding").inc()
            await self.sio.disconnect(sid)
            return None
        await self._error(sid, verdict.code, verdict.message, event)
        return None

    async def _report_failure(self, sid: str, event: str, exc: Exception) -> None:
        """A client event could not be taken: say so rather than drop it silently."""
        if isinstance(exc, RedisError | OSError):
            code, message = UNAVAILABLE, UNAVAILABLE_TEXT
        else:
            code, message = "internal_error", "The server failed to handle this event."
        with contextlib.suppress(Exception):
            await self._error(sid, code, message, event)

    async def _expire(self, sid: str, event: str | None) -> bool:
        """The session's state is gone from Redis: say so, then hang up.

        The client reconnects (with the same session id or a new one) and gets
        a new session; nothing is recreated behind its back.
        """
        state = self.sockets.get(sid)
        if state is None or state.expired:
            return False
        state.expired = True
        logger.warning(
            "session state lost; client told to start a new session",
            extra={"sid": sid, "session_id": state.session.id, "client_event": event},
        )
        await self._error(sid, SESSION_EXPIRED, SESSION_EXPIRED_TEXT, event)
        await self.sio.disconnect(sid)
        return True

    async def _session_lost(self, state: SocketState) -> bool:
        return not await self.state.alive(state.session.id)

    async def expire_lost_sessions(self) -> int:
        """After a Redis outage: tell every socket whose session state is gone."""
        held = [(sid, state) for sid, state in self.sockets.items() if not state.expired]
        if not held:
            return 0
        present = await self.state.alive_many([state.session.id for _, state in held])
        lost = [sid for (sid, _), alive in zip(held, present, strict=True) if not alive]
        expired = 0
        for sid in lost:
            expired += await self._expire(sid, None)
        if expired:
            logger.warning("sessions lost with Redis state", extra={"sockets": expired})
        return expired

    async def _reserved(self, sid: str, event: str) -> None:
        """A client sent an event under a name Socket.IO keeps for itself."""
        if await self._admit(sid, "unknown", None) is not None:
            await self._error(sid, "reserved_event", f"{event!r} is a reserved event name", event)

    async def _refused(self, sid: str, session: SessionRecord, event: str) -> bool:
        refusal = await self.limits.check(self.streams, session)
        if refusal is None:
            return False
        await self._error(sid, refusal.code, refusal.message, event)
        return True

    async def _checked(
        self, sid: str, event: str, data: Any, *, size: int | None = None
    ) -> SocketState | None:
        """Admit an event that acts on the session: its state must still exist,
        and one that becomes work for the worker needs a place in its inbox."""
        state = await self._admit(sid, event, data, size=size)
        if state is None:
            return None
        if await self._session_lost(state):
            await self._expire(sid, event)
            return None
        if state.buckets.rule(event).queued and await self._refused_inbox(sid, state, event):
            return None
        return state

    async def _refused_inbox(self, sid: str, state: SocketState, event: str) -> bool:
        admission = await self.streams.admission(
            state.session.id,
            max_session_inputs=self.limits.max_session_inputs,
            max_queue_depth=self.limits.max_queue_depth,
        )
        if admission is Admission.OPEN:
            return False
        if admission is Admission.SESSION_FULL:
            await self._error(
                sid,
                "too_many_messages",
                f"{self.limits.max_session_inputs} inputs are already waiting in this session",
                event,
            )
        else:
            await self._error(
                sid, "overloaded", "the service is busy; try again in a moment", event
            )
        return True


def guard(
    handler: Callable[..., Awaitable[Any]],
    report: Callable[[str, str, Exception], Awaitable[None]] | None = None,
    event: str | None = None,
) -> Callable[..., Awaitable[Any]]:
    """The one error boundary of socket handlers: log once, never kill the server.

    A failed client event is reported to its socket (``report``), so nothing the
    client sent is dropped without a word, e.g. while Redis is away. Each call is
    timed as ``event`` (the name the handler is registered under; ``*`` counts as
    ``unknown``), with its outcome: ``ok``, ``refused`` or ``failed``.
    """
    name = handler.__name__
    label = "unknown" if event in (None, "*") else str(event)

    @functools.wraps(handler)
    async def wrapper(*args: Any) -> Any:
        outcome = ["ok"]
        token = _OUTCOME.set(outcome)
        started = time.perf_counter()
        try:
            return await handler(*args)
        except socketio.exceptions.ConnectionRefusedError:
            outcome[0] = "refused"
            raise
        except Exception as exc:
            outcome[0] = "failed"
            logger.exception("socket handler failed", extra={"handler": name})
            if name == "connect":
                raise socketio.exceptions.ConnectionRefusedError("internal error") from exc
            if report is not None and name != "disconnect":
                # The catch-all handler gets (event, sid, data); the others (sid, data).
                sent, sid = (args[0], args[1]) if name == "unknown_event" else (label, args[0])
                await report(sid, str(sent)[:64], exc)
            return None
        finally:
            _OUTCOME.reset(token)
            CLIENT_EVENT_SECONDS.labels(label, outcome[0]).observe(time.perf_counter() - started)

    return wrapper


def describe(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
