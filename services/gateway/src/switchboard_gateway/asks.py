"""Asks across the wire: emit with an ack, turn the ack into the answer on Redis.

``ask`` and ``call_fn`` go out exactly as Chainlit sends them: one data argument
and the acknowledgement, whose value is the answer. Unlike other relayed
events they carry no stream id (Chainlit's UI would take it for the ack
callback); a client that reconnects is shown the asks still pending instead.

The worker that asked blocks on the answer list; the answer is accepted only
while the ask is still pending for that session, so a stale or foreign ack
changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import socketio

from switchboard.aio import resolved
from switchboard.schema.frames import UiFrame, parse_ui_frame
from switchboard.schema.steps import AskSpec
from switchboard.streams import Streams
from switchboard_gateway.validation import InvalidInput, validate_answer

__all__ = ("AskRelay",)

logger = logging.getLogger(__name__)

ANSWER_TTL_S = 300

# KEYS: pending asks hash, answer list. ARGV: ask id, answer json, ttl.
_ANSWER_IF_PENDING = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then
  return 0
end
redis.call('RPUSH', KEYS[2], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return 1
"""

ErrorFn = Callable[[str, str, str, str | None], Awaitable[None]]


class AskRelay:
    def __init__(
        self, sio: socketio.AsyncServer, streams: Streams, max_text: int, error: ErrorFn
    ) -> None:
        self.sio = sio
        self.streams = streams
        self.max_text = max_text
        self.error = error
        self._answer = streams.redis.register_script(_ANSWER_IF_PENDING)

    async def emit(self, sid: str, session_id: str, payload: dict[str, Any]) -> None:
        spec = AskSpec.model_validate(payload["spec"])

        async def on_ack(*args: Any) -> None:
            await self.answer(sid, session_id, spec, args[0] if args else None)

        await self.sio.emit("ask", payload, to=sid, callback=on_ack)

    async def answer(self, sid: str, session_id: str, spec: AskSpec, answer: Any) -> None:
        try:
            value = validate_answer(spec, answer, self.max_text)
        except InvalidInput as exc:
            await self.error(sid, "invalid_answer", str(exc), "ask")
            return
        names = self.streams.names
        accepted = await self._answer(
            keys=[names.asks(session_id), names.answer(session_id, spec.step_id)],
            args=[spec.step_id, orjson.dumps(value), ANSWER_TTL_S],
        )
        if not accepted:
            await self.error(sid, "unknown_ask", "this ask is no longer pending", "ask")

    async def emit_call_fn(self, sid: str, session_id: str, event: UiFrame) -> None:
        """A copilot ``call_fn``: its ack is the answer the calling worker waits for."""
        call_id = str(event["id"])

        async def on_ack(*args: Any) -> None:
            await self.answer_call_fn(sid, session_id, call_id, args[0] if args else None)

        await self.sio.emit("call_fn", event["payload"], to=sid, callback=on_ack)

    async def answer_call_fn(self, sid: str, session_id: str, call_id: str, answer: Any) -> None:
        if not isinstance(answer, dict):
            await self.error(sid, "invalid_answer", "call_fn answer must be an object", "call_fn")
            return
        body = orjson.dumps(answer)
        if len(body) > self.max_text:
            await self.error(sid, "invalid_answer", "call_fn answer is too large", "call_fn")
            return
        names = self.streams.names
        accepted = await self._answer(
            keys=[names.calls(session_id), names.answer(session_id, call_id)],
            args=[call_id, body, ANSWER_TTL_S],
        )
        if not accepted:
            await self.error(sid, "unknown_call", "this call_fn is no longer pending", "call_fn")

    async def reshow(self, sid: str, session_id: str) -> int:
        """Show a reconnecting client the asks and copilot calls still waiting for it."""
        names = self.streams.names
        pending = await resolved(self.streams.redis.hvals(names.asks(session_id)))
        for raw in pending:
            event = orjson.loads(raw)
            await self.emit(sid, session_id, event["payload"])
        calls = await resolved(self.streams.redis.hvals(names.calls(session_id)))
        for raw in calls:
            await self.emit_call_fn(sid, session_id, parse_ui_frame(raw))
        return len(pending) + len(calls)
