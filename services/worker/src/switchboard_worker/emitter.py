"""The SDK's emitter inside a worker: everything goes to Redis, nothing to sockets."""

from __future__ import annotations

from switchboard.schema.envelope import Envelope
from switchboard.streams import Streams

__all__ = ("RedisEmitter",)


class RedisEmitter:
    def __init__(self, streams: Streams) -> None:
        self._streams = streams

    async def emit(self, event: Envelope) -> None:
        await self._streams.emit(event)

    async def persist(self, event: Envelope) -> None:
        await self._streams.persist(event)
