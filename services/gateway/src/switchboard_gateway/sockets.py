"""Socket.IO handlers: Chainlit's client events in, work on Redis out.

Every client event is validated here, at the edge; a bad one gets an
``error`` event and never reaches Redis.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import socketio
from pydantic import ValidationError
from redis.exceptions import RedisError

from switchboard.config import AppConfig
from switchboard.schema.client import ClientMessage, ConnectAuth
from switchboard.schema.control import StopRequest
from switchboard.schema.events import ClearAsk, ClearCallFn, ErrorPayload, TaskEnd
from switchboard.schema.jobs import (
    ChatStartInput,
    EditMessageInput,
    MessageInput,
    MessagePayload,
    ResumeInput,
    SettingsEditInput,
    SettingsPayload,
    SettingsUpdateInput,
    WindowMessageInput,
)
from switchboard.schema.persist import StepUpsert
from switchboard.schema.session import ConnectRequest, SessionRecord, UserRef
from switchboard.schema.steps import utc_now_iso
from switchboard.session_state import SessionState
from switchboard.streams import Admission, Streams, thread_created
from switchboard_gateway.asks import AskRelay
from switchboard_gateway.audio import AudioEvents, decode_audio_chunk
from switchboard_gateway.event_limits import (
    DEFAULT_RULES,
    RESERVED_EVENTS,
    EventBuckets,
    EventRule,
)
from switchboard_gateway.identity import GatewayIdentity, IdentityUnavailable, socket_headers
from switchboard_gateway.limits import InputLimits, client_backlog, drop_slow_client
from switchboard_gateway.metrics import ACTIVE_SOCKETS, CLIENT_EVENTS, REFUSED
from switchboard_gateway.relay import FROM_START, StreamRelay
from switchboard_gateway.rest import read_manifest
from switchboard_gateway.uploads import upload_counter
from switchboard_gateway.upstream import UpstreamError, Upstreams
from switchboard_gateway.validation import InvalidInput, validate_settings

__all__ = ("SocketHandlers", "SocketState")

logger = logging.getLogger(__name__)

UNAVAILABLE = "unavailable"
UNAVAILABLE_TEXT = "The server is briefly unavailable; this event was not taken. Try again."
SESSION_EXPIRED = "session_expired"
SESSION_EXPIRED_TEXT = (
    "This session's state was lost (the server restarted). "
    "Reconnect to start a new session; what was in progress did not finish."
)


@dataclass
class SocketState:
    session: SessionRecord
    user: UserRef | None
    buckets: EventBuckets
    token_id: str | None = None
    clear_on_disconnect: bool = False
    # Told its session state is gone; being disconnected.
    expired: bool = False


class SocketHandlers:
    def __init__(
        self,
        sio: socketio.AsyncServer,
        *,
        streams: Streams,
        relay: StreamRelay,
        upstreams: Upstreams,
        identify: GatewayIdentity,
        config: AppConfig,
        max_event_bytes: int,
        limits: InputLimits | None = None,
        event_rules: dict[str, EventRule] | None = None,
    ) -> None:
        self.limits = limits or InputLimits()
        self.event_rules = {**DEFAULT_RULES, **(event_rules or {})}
        self.sio = sio
        self.streams = streams
        self.state = SessionState(streams.redis, streams.names)
        self.relay = relay
        self.upstreams = upstreams
        self.identify = identify
        self.config = config
        self.max_event_bytes = max_event_bytes
        self.sockets: dict[str, SocketState] = {}
        self.asks = AskRelay(sio, streams, max_event_bytes, self._error)
        guard = functools.partial(_guard, report=self._report_failure)
        sio.on("connect", guard(self.connect))
        sio.on("stop", guard(self.stop))
        sio.on("edit_message", guard(self.edit_message))
        sio.on("chat_settings_change", guard(self.chat_settings_change))
        sio.on("chat_settings_edit", guard(self.chat_settings_edit))
        sio.on("window_message", guard(self.window_message))
        sio.on("fetch_favorites", guard(self.fetch_favorites))
        sio.on("message_favorite", guard(self.message_favorite))
        self.audio = AudioEvents(
            streams,
            config,
            max_event_bytes,
            self._error,
            self._checked,
        )
        sio.on("audio_start", guard(self.audio.start))
        sio.on("audio_chunk", guard(self.audio.chunk))
        sio.on("audio_end", guard(self.audio.end))
        sio.on("disconnect", guard(self.disconnect))
        sio.on("connection_successful", guard(self.connection_successful))
        sio.on("client_message", guard(self.client_message))
        sio.on("clear_session", guard(self.clear_session))
        sio.on("*", guard(self.unknown_event))

    # --- helpers -----------------------------------------------------------
    async def _error(self, sid: str, code: str, message: str, event: str | None) -> None:
        REFUSED.labels(code=code).inc()
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

    # --- lifecycle -----------------------------------------------------------
    async def connect(self, sid: str, environ: Any = None, auth: Any = None) -> None:
        if sid in self.sockets:  # a client event named "connect", not a handshake
            await self._reserved(sid, "connect")
            return
        if not isinstance(auth, dict):
            REFUSED.labels(code="invalid_auth").inc()
            raise socketio.exceptions.ConnectionRefusedError("missing connect auth payload")
        try:
            payload = ConnectAuth.model_validate(auth)
        except ValidationError as exc:
            REFUSED.labels(code="invalid_auth").inc()
            fields = ", ".join(".".join(map(str, e["loc"])) for e in exc.errors())
            raise socketio.exceptions.ConnectionRefusedError(
                f"invalid connect auth payload: {fields}"
            ) from exc
        try:
            identity = await self.identify(socket_headers(environ))
        except IdentityUnavailable as exc:
            REFUSED.labels(code="identity_unavailable").inc()
            raise socketio.exceptions.ConnectionRefusedError("service unavailable") from exc
        if identity.refused:
            REFUSED.labels(code="authentication").inc()
            raise socketio.exceptions.ConnectionRefusedError("authentication failed")
        user = identity.user
        missing = [key for key in self.config.project.user_env if key not in payload.userEnv]
        if missing:
            raise socketio.exceptions.ConnectionRefusedError(
                f"Missing user environment variable: {missing[0]}"
            )
        request = ConnectRequest(
            session_id=payload.sessionId,
            user=user,
            client_type=payload.clientType,
            thread_id=payload.threadId,
            chat_profile=payload.chatProfile,
            user_env=payload.userEnv,
            language=_language(environ),
        )
        try:
            result = await self.upstreams.connect_session(request)
        except UpstreamError as exc:
            REFUSED.labels(code=f"session_{exc.status_code}").inc()
            reason = "authorization failed" if exc.status_code == 403 else exc.detail
            raise socketio.exceptions.ConnectionRefusedError(reason) from exc
        self.sockets[sid] = SocketState(
            session=result.session,
            user=user,
            buckets=EventBuckets(self.event_rules, self.max_event_bytes),
            token_id=identity.token_id,
        )
        start = payload.lastEventId if result.restored else FROM_START
        await self.relay.attach(result.session.id, sid, start)
        if result.restored and payload.lastEventId is None:
            await self.asks.reshow(sid, result.session.id)
        ACTIVE_SOCKETS.inc()
        logger.info(
            "socket connected",
            extra={
                "sid": sid,
                "session_id": result.session.id,
                "thread_id": result.session.thread_id,
                "restored": result.restored,
            },
        )

    async def disconnect(self, sid: str, reason: Any = None) -> None:
        # Socket.IO marks a socket as leaving before it calls this handler; one
        # still connected means a client event named "disconnect".
        if self.sio.manager.is_connected(sid, "/"):
            await self._reserved(sid, "disconnect")
            return
        state = self.sockets.pop(sid, None)
        if state is None:
            return
        ACTIVE_SOCKETS.dec()
        self.relay.detach(state.session.id, sid)
        try:
            await self.upstreams.disconnect_session(
                state.session.id, state.user, state.clear_on_disconnect
            )
        except Exception as exc:  # the session then ends by its TTL instead
            logger.warning(
                "session disconnect not recorded",
                extra={"session_id": state.session.id, "error": repr(exc)},
            )

    async def _reserved(self, sid: str, event: str) -> None:
        """A client sent an event under a name Socket.IO keeps for itself."""
        if await self._admit(sid, "unknown", None) is not None:
            await self._error(sid, "reserved_event", f"{event!r} is a reserved event name", event)

    # --- client events -------------------------------------------------------
    async def connection_successful(self, sid: str, data: Any = None) -> None:
        state = await self._admit(sid, "connection_successful", data)
        if state is None:
            return
        session = state.session
        if await self._session_lost(state):
            await self._expire(sid, "connection_successful")
            return
        for event in (TaskEnd, ClearAsk, ClearCallFn):
            await self.sio.emit(event.model_fields["type"].default, {}, to=sid)
        if not await self.state.start_chat(session.id):
            return
        manifest = await read_manifest(self.streams.redis, self.streams.names.app_manifest)
        resumable = bool((manifest or {}).get("callbacks", {}).get("on_chat_resume"))
        if session.thread_id_to_resume and resumable:
            await self.streams.enqueue(ResumeInput(session_id=session.id))
        else:
            await self.streams.enqueue(
                ChatStartInput(session_id=session.id, thread_id=session.thread_id)
            )

    async def clear_session(self, sid: str, data: Any = None) -> None:
        state = await self._admit(sid, "clear_session", data)
        if state is not None:
            state.clear_on_disconnect = True

    async def client_message(self, sid: str, data: Any = None) -> None:
        state = await self._admit(sid, "client_message", data)
        if state is None:
            return
        try:
            body = ClientMessage.model_validate(data)
        except ValidationError as exc:
            detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            await self._error(sid, "invalid_message", detail, "client_message")
            return
        await self._accept_message(sid, state, body)

    async def _accept_message(self, sid: str, state: SocketState, body: ClientMessage) -> None:
        # Re-read: a resume may have moved the session onto another thread.
        record = await self.state.record(state.session.id)
        if record is None:
            await self._expire(sid, "client_message")
            return
        state.session = session = record
        if await self._refused(sid, session, "client_message"):
            return
        step = body.message
        step.threadId = session.thread_id
        step.type = "user_message"
        step.createdAt = utc_now_iso()
        step.start = step.createdAt
        step.end = step.createdAt
        step.name = step.name or (state.user.identifier if state.user else "User")
        content = step.output or ""
        thread = thread_created(session, content, auto_tag=self.config.features.auto_tag_thread)
        first = await self.streams.first_interaction(session.id, thread)
        await self.streams.persist(
            StepUpsert(session_id=session.id, thread_id=session.thread_id, payload=step)
        )
        assert step.id is not None  # validated by ClientMessage
        await self.streams.enqueue(
            MessageInput(
                id=step.id,
                session_id=session.id,
                thread_id=session.thread_id,
                payload=MessagePayload(
                    message=step,
                    first_interaction=content if first else None,
                    file_references=[ref.id for ref in body.fileReferences or []],
                ),
            )
        )
        if body.fileReferences:
            # The files went with this message; the next one may bring a new batch.
            await self.streams.redis.delete(upload_counter(self.streams, session.id, "spontaneous"))

    async def revoke(self, token_id: str) -> int:
        """Drop the sockets of a token that was just revoked (logout)."""
        dropped = [sid for sid, s in self.sockets.items() if s.token_id == token_id]
        for sid in dropped:
            await self.sio.disconnect(sid)
        return len(dropped)

    async def revoke_user(self, identifier: str) -> int:
        """Drop every socket of a user whose credentials changed (password, removal, roles)."""
        dropped = [
            sid for sid, s in self.sockets.items() if s.user and s.user.identifier == identifier
        ]
        for sid in dropped:
            await self.sio.disconnect(sid)
        return len(dropped)

    async def deliver(
        self, sid: str, session_id: str, event: dict[str, Any], event_id: str
    ) -> None:
        """Emit one relayed UI event to a socket; asks go out with an ack.

        The stream entry id travels as a second argument: Chainlit clients
        ignore it, Switchboard's send it back as ``lastEventId`` to resume.
        Asks and copilot calls carry none (see ``asks``).
        """
        if 0 < self.limits.max_client_backlog < client_backlog(self.sio, sid):
            await drop_slow_client(self.sio, sid, session_id)
            return
        if event["type"] == "ask":
            await self.asks.emit(sid, session_id, event["payload"])
        elif event["type"] == "call_fn":
            await self.asks.emit_call_fn(sid, session_id, event)
        elif event["type"] == "audio_chunk":
            payload = decode_audio_chunk(event["payload"])
            await self.sio.emit("audio_chunk", (payload, event_id), to=sid)
        else:
            await self.sio.emit(event["type"], (event["payload"], event_id), to=sid)

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

    async def stop(self, sid: str, data: Any = None) -> None:
        state = await self._checked(sid, "stop", data)
        if state is None:
            return
        request = StopRequest(session_id=state.session.id, thread_id=state.session.thread_id)
        await self.streams.redis.publish(self.streams.names.control, request.model_dump_json())

    async def edit_message(self, sid: str, data: Any = None) -> None:
        state = await self._checked(sid, "edit_message", data)
        if state is None:
            return
        if not self.config.features.edit_message:
            await self._error(sid, "not_enabled", "editing messages is disabled", "edit_message")
            return
        try:
            body = ClientMessage.model_validate(data)
        except ValidationError as exc:
            await self._error(sid, "invalid_message", _describe(exc), "edit_message")
            return
        session = state.session
        if await self._refused(sid, session, "edit_message"):
            return
        await self.streams.enqueue(
            EditMessageInput(
                session_id=session.id,
                thread_id=session.thread_id,
                payload=MessagePayload(message=body.message),
            )
        )

    async def _settings(
        self, sid: str, event: str, data: Any
    ) -> tuple[SocketState, dict[str, Any]] | None:
        state = await self._checked(sid, event, data)
        if state is None:
            return None
        stored, spec = await self.state.chat_settings_and_spec(state.session.id)
        try:
            values = validate_settings(spec, data)
        except InvalidInput as exc:
            await self._error(sid, "invalid_settings", str(exc), event)
            return None
        return state, {**stored, **values}

    async def chat_settings_change(self, sid: str, data: Any = None) -> None:
        checked = await self._settings(sid, "chat_settings_change", data)
        if checked is None:
            return
        state, merged = checked
        session = state.session
        await self.state.save_chat_settings(session.id, merged)
        await self.streams.enqueue(
            SettingsUpdateInput(
                session_id=session.id,
                thread_id=session.thread_id,
                payload=SettingsPayload(settings=merged),
            )
        )

    async def chat_settings_edit(self, sid: str, data: Any = None) -> None:
        checked = await self._settings(sid, "chat_settings_edit", data)
        if checked is None:
            return
        state, merged = checked
        await self.streams.enqueue(
            SettingsEditInput(
                session_id=state.session.id,
                thread_id=state.session.thread_id,
                payload=SettingsPayload(settings=merged),
            )
        )

    async def window_message(self, sid: str, data: Any = None) -> None:
        state = await self._checked(sid, "window_message", data)
        if state is None:
            return
        try:
            item = WindowMessageInput(
                session_id=state.session.id, thread_id=state.session.thread_id, payload=data
            )
        except ValidationError as exc:  # nested deeper than the shared limit
            await self._error(sid, "invalid_message", _describe(exc), "window_message")
            return
        await self.streams.enqueue(item)

    async def fetch_favorites(self, sid: str, data: Any = None) -> None:
        if await self._admit(sid, "fetch_favorites", data) is None:
            return
        if self.config.features.favorites:
            await self.sio.emit("set_favorites", [], to=sid)

    async def message_favorite(self, sid: str, data: Any = None) -> None:
        if await self._admit(sid, "message_favorite", data) is None:
            return
        if not self.config.features.favorites:
            await self._error(sid, "not_enabled", "favorites are disabled", "message_favorite")

    async def unknown_event(self, event: str, sid: str, data: Any = None) -> None:
        name = str(event)[:64]
        if await self._admit(sid, "unknown", None) is None:
            return
        if name in RESERVED_EVENTS:
            await self._error(sid, "reserved_event", f"{name!r} is a reserved event name", name)
            return
        await self._error(sid, "unknown_event", f"unknown event {name!r}", name)


def _guard(
    handler: Callable[..., Awaitable[Any]],
    report: Callable[[str, str, Exception], Awaitable[None]] | None = None,
) -> Callable[..., Awaitable[Any]]:
    """The one error boundary of socket handlers: log once, never kill the server.

    A failed client event is reported to its socket (``report``), so nothing the
    client sent is dropped without a word, e.g. while Redis is away.
    """
    name = handler.__name__

    @functools.wraps(handler)
    async def wrapper(*args: Any) -> Any:
        try:
            return await handler(*args)
        except socketio.exceptions.ConnectionRefusedError:
            raise
        except Exception as exc:
            logger.exception("socket handler failed", extra={"handler": name})
            if name == "connect":
                raise socketio.exceptions.ConnectionRefusedError("internal error") from exc
            if report is not None and name != "disconnect":
                # The catch-all handler gets (event, sid, data); the others (sid, data).
                event, sid = (args[0], args[1]) if name == "unknown_event" else (name, args[0])
                await report(sid, str(event)[:64], exc)
            return None

    return wrapper


def _describe(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())


def _language(environ: dict[str, Any]) -> str:
    header = environ.get("HTTP_ACCEPT_LANGUAGE", "")
    first = header.split(",")[0].split(";")[0].strip()
    return first or "en-US"
