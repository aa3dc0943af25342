"""Socket.IO connections: handshake, identity, session restore, delivery, revocation.

The client events themselves are handled in ``client_events``; every one
passes the gate in ``socket_gate`` first.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import socketio
from pydantic import ValidationError

from switchboard.app_manifest import read_manifest
from switchboard.config import AppConfig
from switchboard.schema.client import ConnectAuth
from switchboard.schema.events import ClearAsk, ClearCallFn, TaskEnd
from switchboard.schema.frames import UiFrame
from switchboard.schema.jobs import (
    ChatStartInput,
    ResumeInput,
)
from switchboard.schema.session import ConnectRequest
from switchboard.session_lifecycle import SessionEnded, SessionForbidden, SessionLifecycle
from switchboard.session_state import SessionState
from switchboard.streams import Streams
from switchboard.tokens import DecodedToken
from switchboard_gateway.asks import AskRelay
from switchboard_gateway.audio import AudioEvents, decode_audio_chunk
from switchboard_gateway.client_events import ClientEvents
from switchboard_gateway.event_limits import (
    DEFAULT_RULES,
    EventBuckets,
    EventRule,
)
from switchboard_gateway.identity import GatewayIdentity, IdentityUnavailable, socket_headers
from switchboard_gateway.limits import InputLimits, client_backlog, drop_slow_client
from switchboard_gateway.metrics import ACTIVE_SOCKETS, REFUSED
from switchboard_gateway.relay import FROM_START, StreamRelay
from switchboard_gateway.socket_gate import SocketState, guard
from switchboard_gateway.upstream import Upstreams

__all__ = ("SocketHandlers", "SocketState")

logger = logging.getLogger(__name__)


class SocketHandlers(ClientEvents):
    """Registers every handler on the Socket.IO server and owns each socket's state."""

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
        self.lifecycle = SessionLifecycle(
            streams.redis,
            streams.names,
            session_ttl=streams.session_ttl,
            session_timeout=config.project.session_timeout,
        )
        self.relay = relay
        self.upstreams = upstreams
        self.identify = identify
        self.config = config
        self.max_event_bytes = max_event_bytes
        self.sockets: dict[str, SocketState] = {}
        self.asks = AskRelay(sio, streams, max_event_bytes, self._error)

        def on(event: str, handler: Callable[..., Awaitable[Any]]) -> None:
            sio.on(event, guard(handler, self._report_failure, event))

        on("connect", self.connect)
        on("stop", self.stop)
        on("edit_message", self.edit_message)
        on("chat_settings_change", self.chat_settings_change)
        on("chat_settings_edit", self.chat_settings_edit)
        on("window_message", self.window_message)
        on("fetch_favorites", self.fetch_favorites)
        on("message_favorite", self.message_favorite)
        self.audio = AudioEvents(
            streams,
            config,
            max_event_bytes,
            self._error,
            self._checked,
        )
        on("audio_start", self.audio.start)
        on("audio_chunk", self.audio.chunk)
        on("audio_end", self.audio.end)
        on("disconnect", self.disconnect)
        on("connection_successful", self.connection_successful)
        on("client_message", self.client_message)
        on("clear_session", self.clear_session)
        on("*", self.unknown_event)

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
        if payload.restoreOnly and not await self.state.alive(payload.sessionId):
            # A rejoin (a reload) of a session that has ended: no new one in its place.
            REFUSED.labels(code="session_not_found").inc()
            raise socketio.exceptions.ConnectionRefusedError("session not found")
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
            result = await self.lifecycle.connect(request)
        except SessionForbidden as exc:
            REFUSED.labels(code="session_403").inc()
            raise socketio.exceptions.ConnectionRefusedError("authorization failed") from exc
        except SessionEnded as exc:
            REFUSED.labels(code="session_409").inc()
            raise socketio.exceptions.ConnectionRefusedError(str(exc)) from exc
        self.sockets[sid] = SocketState(
            session=result.session,
            user=user,
            buckets=EventBuckets(self.event_rules, self.max_event_bytes),
            token_id=identity.token_id,
            credential_version=identity.credential_version,
            expires_at=identity.expires_at,
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
            await self.lifecycle.disconnect(state.session.id, clear=state.clear_on_disconnect)
        except Exception as exc:  # the session then ends by its TTL instead
            logger.warning(
                "session disconnect not recorded",
                extra={"session_id": state.session.id, "error": repr(exc)},
            )

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
        manifest = await read_manifest(self.streams.redis, self.streams.names)
        resumable = manifest is not None and manifest.has("on_chat_resume")
        if session.thread_id_to_resume and resumable:
            await self.streams.enqueue(ResumeInput(session_id=session.id))
        else:
            await self.streams.enqueue(
                ChatStartInput(session_id=session.id, thread_id=session.thread_id)
            )

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

    async def recheck_tokens(self) -> int:
        """Drop sockets whose token expired, was logged out or outlived its credentials.

        Revocations reach gateways by pub/sub, which loses what is published
        while a gateway's subscription is down; this sweep is the backstop.
        """
        verdicts: dict[tuple[str, str, str | None], bool] = {}
        now = time.time()
        dropped = 0
        for sid, state in list(self.sockets.items()):
            if state.user is None or state.token_id is None:
                continue
            key = (state.token_id, state.user.identifier, state.credential_version)
            if key not in verdicts:
                token = DecodedToken(
                    user=state.user,
                    token_id=state.token_id,
                    expires_at=state.expires_at or 0,
                    credential_version=state.credential_version,
                )
                try:
                    verdicts[key] = await self.identify.still_valid(token)
                except IdentityUnavailable:
                    verdicts[key] = True  # keep sockets while auth is away; check next time
            expired = state.expires_at is not None and state.expires_at <= now
            if expired or not verdicts[key]:
                logger.info(
                    "socket dropped: its token is no longer valid",
                    extra={"sid": sid, "session_id": state.session.id, "expired": expired},
                )
                await self.sio.disconnect(sid)
                dropped += 1
        return dropped

    async def recheck_tokens_forever(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await self.recheck_tokens()
            except asyncio.CancelledError:
                raise
            except Exception:  # Redis away: the next sweep tries again
                logger.warning("token re-check failed", exc_info=True)

    async def deliver(self, sid: str, session_id: str, event: UiFrame, event_id: str) -> None:
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


def _language(environ: dict[str, Any]) -> str:
    header = environ.get("HTTP_ACCEPT_LANGUAGE", "")
    first = header.split(",")[0].split(";")[0].strip()
    return first or "en-US"
