"""``context.emitter``: Chainlit's emitter methods that apps call directly."""

from __future__ import annotations

import base64
from typing import Any, Literal

from switchboard.schema.events import (
    AudioChunkEvent,
    AudioInterrupt,
    SetCommands,
    SetModes,
    Toast,
    ToastPayload,
    TokenUsage,
    WindowMessage,
    ui_event_adapter,
)
from switchboard.sdk.audio import OutputAudioChunk
from switchboard.sdk.context import SessionContext

__all__ = ("AppEmitter",)


class AppEmitter:
    def __init__(self, ctx: SessionContext) -> None:
        self._ctx = ctx

    def _ids(self) -> dict[str, Any]:
        return {"session_id": self._ctx.session_id, "thread_id": self._ctx.thread_id}

    async def emit(self, event: str, data: Any) -> None:
        """Send any browser event by name; it must be one the schema knows."""
        envelope = ui_event_adapter.validate_python({"type": event, "payload": data, **self._ids()})
        await self._ctx.emitter.emit(envelope)

    async def set_commands(self, commands: list[dict[str, Any]]) -> None:
        await self._ctx.emitter.emit(SetCommands(payload=commands, **self._ids()))

    async def set_modes(self, modes: list[Any]) -> None:
        payload = [m.to_dict() if hasattr(m, "to_dict") else dict(m) for m in modes]
        await self._ctx.emitter.emit(SetModes(payload=payload, **self._ids()))

    async def send_toast(
        self, message: str, type: Literal["info", "success", "warning", "error"] = "info"
    ) -> None:
        if type not in ("info", "success", "warning", "error"):
            raise ValueError(f"invalid toast type {type!r}")
        await self._ctx.emitter.emit(
            Toast(payload=ToastPayload(message=message, type=type), **self._ids())
        )

    async def update_token_count(self, count: int) -> None:
        await self._ctx.emitter.emit(TokenUsage(payload=int(count), **self._ids()))

    async def send_window_message(self, data: Any) -> None:
        await self._ctx.emitter.emit(WindowMessage(payload=data, **self._ids()))

    async def send_audio_chunk(self, chunk: OutputAudioChunk) -> None:
        """Play PCM16 in the UI; the bytes travel base64 until the gateway."""
        payload = {
            "track": chunk.track,
            "mimeType": chunk.mimeType,
            "data": base64.b64encode(chunk.data).decode(),
        }
        await self._ctx.emitter.emit(AudioChunkEvent(payload=payload, **self._ids()))

    async def send_audio_interrupt(self) -> None:
        await self._ctx.emitter.emit(AudioInterrupt(**self._ids()))

    async def send_call_fn(
        self, name: str, args: dict[str, Any], timeout: float = 300, raise_on_timeout: bool = False
    ) -> Any:
        from switchboard.sdk.copilot import CopilotFunction

        return await CopilotFunction(name=name, args=args).acall(timeout, raise_on_timeout)
