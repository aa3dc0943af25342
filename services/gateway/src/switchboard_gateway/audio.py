"""Audio client events: checked at the edge, then queued for the session's worker.

``audio_chunk`` carries binary PCM16 as a Socket.IO attachment; it is checked
for shape and size here and travels base64-encoded on Redis.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from pydantic import ValidationError

from switchboard.config import AppConfig
from switchboard.schema.jobs import (
    AudioChunkInput,
    AudioChunkPayload,
    AudioEndInput,
    AudioStartInput,
)
from switchboard.streams import Streams

__all__ = ("AudioEvents", "decode_audio_chunk")


class _State(Protocol):
    @property
    def session(self) -> Any: ...


ErrorFn = Callable[[str, str, str, str | None], Awaitable[None]]


class StateFn(Protocol):
    def __call__(
        self, sid: str, event: str, data: Any, *, size: int | None = None
    ) -> Awaitable[_State | None]: ...


class AudioEvents:
    def __init__(
        self,
        streams: Streams,
        config: AppConfig,
        max_chunk_bytes: int,
        error: ErrorFn,
        state: StateFn,
    ) -> None:
        self.streams = streams
        self.config = config
        self.max_chunk_bytes = max_chunk_bytes
        self.error = error
        self.state = state

    async def _session(self, sid: str, event: str, data: Any, size: int | None = None) -> Any:
        state = await self.state(sid, event, data, size=size)
        if state is None:
            return None
        if not self.config.features.audio.enabled:
            await self.error(sid, "not_enabled", "audio is not enabled", event)
            return None
        return state.session

    async def start(self, sid: str, data: Any = None) -> None:
        session = await self._session(sid, "audio_start", data)
        if session is not None:
            await self.streams.enqueue(
                AudioStartInput(session_id=session.id, thread_id=session.thread_id)
            )

    async def chunk(self, sid: str, data: Any = None) -> None:
        raw = data.get("data") if isinstance(data, dict) else None
        # The binary attachment is measured as is; the rest of the event is small.
        size = len(raw) if isinstance(raw, bytes | bytearray) else None
        session = await self._session(sid, "audio_chunk", None if size else data, size)
        if session is None:
            return
        if not isinstance(raw, bytes | bytearray):
            await self.error(sid, "invalid_audio", "audio_chunk needs binary data", "audio_chunk")
            return
        if len(raw) > self.max_chunk_bytes:
            await self.error(
                sid,
                "audio_chunk_too_large",
                f"audio_chunk data exceeds {self.max_chunk_bytes} bytes",
                "audio_chunk",
            )
            return
        assert isinstance(data, dict)
        try:
            payload = AudioChunkPayload(
                isStart=data.get("isStart"),
                mimeType=data.get("mimeType"),
                elapsedTime=data.get("elapsedTime"),
                data=base64.b64encode(raw).decode(),
            )
        except ValidationError as exc:
            fields = ", ".join(".".join(map(str, e["loc"])) for e in exc.errors())
            await self.error(sid, "invalid_audio", f"bad audio_chunk: {fields}", "audio_chunk")
            return
        await self.streams.enqueue(
            AudioChunkInput(session_id=session.id, thread_id=session.thread_id, payload=payload)
        )

    async def end(self, sid: str, data: Any = None) -> None:
        session = await self._session(sid, "audio_end", data)
        if session is not None:
            await self.streams.enqueue(
                AudioEndInput(session_id=session.id, thread_id=session.thread_id)
            )


def decode_audio_chunk(payload: dict[str, Any]) -> dict[str, Any]:
    """An ``audio_chunk`` for the UI: the base64 from Redis back to bytes."""
    data = payload.get("data")
    if isinstance(data, str):
        return {**payload, "data": base64.b64decode(data)}
    return payload
