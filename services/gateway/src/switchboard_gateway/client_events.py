"""Chainlit's client events: validated at the edge, then work on Redis.

Every handler passes ``SocketGate._admit`` (size and rate) first; a bad event
gets an ``error`` event and never reaches Redis.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError

from switchboard.schema.client import ClientMessage
from switchboard.schema.control import StopRequest
from switchboard.schema.jobs import (
    EditMessageInput,
    MessageInput,
    MessagePayload,
    SettingsEditInput,
    SettingsPayload,
    SettingsUpdateInput,
    WindowMessageInput,
)
from switchboard.schema.persist import StepUpsert
from switchboard.schema.steps import StepDict, utc_now_iso
from switchboard.streams import Acceptance, MessageOffer, thread_created
from switchboard_gateway import favorites
from switchboard_gateway.event_limits import (
    RESERVED_EVENTS,
)
from switchboard_gateway.socket_gate import SocketGate, SocketState, describe
from switchboard_gateway.uploads import upload_counter
from switchboard_gateway.upstream import Upstreams
from switchboard_gateway.validation import InvalidInput, validate_settings

__all__ = ("ClientEvents",)

logger = logging.getLogger(__name__)


class ClientEvents(SocketGate):
    """Handlers of the events a Chainlit client sends after connecting."""

    upstreams: Upstreams

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
        step = body.message
        assert step.id is not None  # validated by ClientMessage
        step.type = "user_message"
        step.createdAt = utc_now_iso()
        step.start = step.createdAt
        step.end = step.createdAt
        step.name = step.name or (state.user.identifier if state.user else "User")
        content = step.output or ""
        references = [ref.id for ref in body.fileReferences or []]
        for _ in range(2):
            session = state.session
            step.threadId = session.thread_id
            ids = {"session_id": session.id, "thread_id": session.thread_id}
            outcome = await self.streams.accept_message(
                MessageOffer(
                    thread_id=session.thread_id,
                    thread=thread_created(
                        session, content, auto_tag=self.config.features.auto_tag_thread
                    ),
                    step=StepUpsert(payload=step, **ids),
                    first_input=_message_input(step, ids, references, first=content),
                    later_input=_message_input(step, ids, references, first=None),
                    rate_key=self.limits.rate_key(self.streams, session),
                    rate_limit=self.limits.user_messages_per_minute,
                    max_session_inputs=self.limits.max_session_inputs,
                    max_queue_depth=self.limits.max_queue_depth,
                )
            )
            if outcome is not Acceptance.MOVED:
                break
            # A resume moved the session onto another thread: send it there.
            record = await self.state.record(session.id)
            if record is None:
                outcome = Acceptance.GONE
                break
            state.session = record
        if outcome is Acceptance.GONE:
            await self._expire(sid, "client_message")
            return
        refusal = self.limits.refusal(outcome, state.session)
        if refusal is not None:
            await self._error(sid, refusal.code, refusal.message, "client_message")
            return
        if body.fileReferences and outcome is not Acceptance.DUPLICATE:
            # The files went with this message; the next one may bring a new batch.
            await self.streams.redis.delete(
                upload_counter(self.streams, state.session.id, "spontaneous")
            )

    async def stop(self, sid: str, data: Any = None) -> None:
        state = await self._checked(sid, "stop", data)
        if state is None:
            return
        request = StopRequest(session_id=state.session.id, thread_id=state.session.thread_id)
        await self.streams.publish_control(request)

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
            await self._error(sid, "invalid_message", describe(exc), "edit_message")
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
    ) -> tuple[SocketState, dict[str, Any], dict[str, Any]] | None:
        """The socket's state, the session's settings merged with the valid values
        the client sent, and those values."""
        state = await self._checked(sid, event, data)
        if state is None:
            return None
        stored, spec = await self.state.chat_settings_and_spec(state.session.id)
        try:
            values = validate_settings(spec, data)
        except InvalidInput as exc:
            await self._error(sid, "invalid_settings", str(exc), event)
            return None
        return state, {**stored, **values}, values

    async def chat_settings_change(self, sid: str, data: Any = None) -> None:
        checked = await self._settings(sid, "chat_settings_change", data)
        if checked is None:
            return
        state, merged, sent = checked
        session = state.session
        await self.state.save_chat_settings(session.id, merged)
        await self.streams.enqueue(
            SettingsUpdateInput(
                session_id=session.id,
                thread_id=session.thread_id,
                payload=SettingsPayload(settings=merged, sent=sent),
            )
        )

    async def chat_settings_edit(self, sid: str, data: Any = None) -> None:
        checked = await self._settings(sid, "chat_settings_edit", data)
        if checked is None:
            return
        state, merged, sent = checked
        await self.streams.enqueue(
            SettingsEditInput(
                session_id=state.session.id,
                thread_id=state.session.thread_id,
                payload=SettingsPayload(settings=merged, sent=sent),
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
            await self._error(sid, "invalid_message", describe(exc), "window_message")
            return
        await self.streams.enqueue(item)

    async def fetch_favorites(self, sid: str, data: Any = None) -> None:
        state = await self._admit(sid, "fetch_favorites", data)
        if state is None or not self.config.features.favorites or state.user is None:
            return
        await self.sio.emit(
            "set_favorites", await favorites.fetch_favorites(self.upstreams, state.user), to=sid
        )

    async def message_favorite(self, sid: str, data: Any = None) -> None:
        state = await self._admit(sid, "message_favorite", data)
        if state is None:
            return
        if not self.config.features.favorites:
            await self._error(sid, "not_enabled", "favorites are disabled", "message_favorite")
            return
        if state.user is None:
            return  # as Chainlit: favourites need a signed-in user
        request = favorites.FavoriteRequest.parse(data)
        if request is None:
            await self._error(sid, "invalid_message", "not a message", "message_favorite")
            return
        saved = await favorites.set_favorite(
            self.upstreams, state.user, state.session.thread_id, request
        )
        if saved is not None:
            await self.sio.emit("update_message", saved, to=sid)
        await self.sio.emit(
            "set_favorites", await favorites.fetch_favorites(self.upstreams, state.user), to=sid
        )

    async def unknown_event(self, event: str, sid: str, data: Any = None) -> None:
        name = str(event)[:64]
        if await self._admit(sid, "unknown", None) is None:
            return
        if name in RESERVED_EVENTS:
            await self._error(sid, "reserved_event", f"{name!r} is a reserved event name", name)
            return
        await self._error(sid, "unknown_event", f"unknown event {name!r}", name)


def _message_input(
    step: StepDict, ids: dict[str, str], references: list[str], *, first: str | None
) -> MessageInput:
    assert step.id is not None
    return MessageInput(
        id=step.id,
        payload=MessagePayload(message=step, first_interaction=first, file_references=references),
        **ids,
    )
