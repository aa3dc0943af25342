"""An in-memory Emitter for unit tests of pure SDK logic (no service involved)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from switchboard.config import AppConfig
from switchboard.schema.envelope import Envelope
from switchboard.schema.events import Ask, CallFn
from switchboard.schema.history import StoredFile
from switchboard.schema.session import SessionRecord
from switchboard.sdk.context import SessionContext, bind_context


class RecordingEmitter:
    def __init__(self) -> None:
        self.events: list[Envelope] = []
        self.persisted: list[Envelope] = []

    async def emit(self, event: Envelope) -> None:
        self.events.append(event)

    async def persist(self, event: Envelope) -> None:
        self.persisted.append(event)

    async def ask(self, event: Ask) -> Any:
        raise NotImplementedError

    async def call_fn(self, event: CallFn, timeout: float) -> Any:
        raise NotImplementedError

    async def save_chat_settings(
        self, session_id: str, values: dict[str, Any], spec: list[dict[str, Any]] | None
    ) -> None:
        raise NotImplementedError

    async def chat_context_add(self, session_id: str, message: dict[str, Any]) -> None:
        return None

    async def chat_context_remove(self, session_id: str, message_id: str) -> None:
        return None

    async def chat_context_clear(self, session_id: str) -> None:
        return None

    async def store_file(
        self, *, session_id: str, name: str, mime: str, data: bytes | None, path: Path | None
    ) -> StoredFile:
        raise NotImplementedError

    async def load_file(self, session_id: str, file_id: str) -> tuple[StoredFile, Path] | None:
        raise NotImplementedError

    async def first_interaction(
        self, session_id: str, interaction: str, *, deferred: bool = False
    ) -> bool:
        return False

    async def flush(self) -> None:
        return None

    def shown(self, kind: str) -> list[dict[str, Any]]:
        return [
            e.payload.model_dump(mode="json") if hasattr(e.payload, "model_dump") else e.payload
            for e in self.events
            if e.type == kind
        ]


def bind_session(config: AppConfig | None = None) -> RecordingEmitter:
    """Bind a session context with a recording emitter to the running task."""
    emitter = RecordingEmitter()
    ctx = SessionContext(
        session=SessionRecord(id="s-1", thread_id="t-1", created_at=time.time()),
        emitter=emitter,
        config=config or AppConfig(),
        loop=asyncio.get_running_loop(),
    )
    bind_context(ctx)
    return emitter
