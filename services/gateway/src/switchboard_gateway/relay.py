"""Relay each held session's UI stream from Redis to its sockets, in order.

Gateways read only the sessions whose sockets they hold and emit locally,
rather than fanning every event through a pub/sub manager. Sessions are
spread over a few reader shards; each shard blocks in one XREAD over its
sessions' streams plus a wake stream that interrupts it when the set changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis

from switchboard.names import RedisNames
from switchboard.reconnect import RedisBackoff
from switchboard.schema.frames import UiFrame, UnknownUiEvent, parse_ui_frame

__all__ = ("EmitFn", "StreamRelay")

logger = logging.getLogger(__name__)

# (socket id, session id, the event's name and payload, stream entry id)
EmitFn = Callable[[str, str, UiFrame, str], Awaitable[None]]
# Called when a shard reads again after a Redis outage (session state may be gone).
RecoveredFn = Callable[[], Awaitable[None]]

_BLOCK_MS = 10_000
_BATCH = 500
# Stream id meaning "everything": a new session's stream is read from its start.
FROM_START = "0-0"


@dataclass
class _Held:
    sids: set[str]
    last_id: str


@dataclass
class _Shard:
    index: int
    wake_key: str
    sessions: dict[str, _Held] = field(default_factory=dict)
    wake_last: str = "$"
    task: asyncio.Task[None] | None = None


class StreamRelay:
    def __init__(
        self,
        redis: Redis,
        names: RedisNames,
        gateway_id: str,
        shards: int,
        emit: EmitFn,
        on_recovered: RecoveredFn | None = None,
    ) -> None:
        self.redis = redis
        self.names = names
        self.emit = emit
        self.on_recovered = on_recovered
        self._shards = [_Shard(i, names.gateway_wake(f"{gateway_id}:{i}")) for i in range(shards)]
        self.events_relayed = 0

    def _shard(self, session_id: str) -> _Shard:
        return self._shards[zlib.crc32(session_id.encode()) % len(self._shards)]

    async def start(self) -> None:
        for shard in self._shards:
            shard.task = asyncio.create_task(self._run(shard), name=f"relay-{shard.index}")

    async def stop(self) -> None:
        for shard in self._shards:
            if shard.task is not None:
                shard.task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await shard.task
        await self.redis.delete(*(s.wake_key for s in self._shards))

    async def attach(self, session_id: str, sid: str, from_id: str | None) -> None:
        """Start relaying a session to a socket, from just after ``from_id``.

        ``None`` means "from now on" (the stream's current tail).
        """
        shard = self._shard(session_id)
        held = shard.sessions.get(session_id)
        if held is not None:
            held.sids.add(sid)
            return
        if from_id is None:
            from_id = await self._tail(session_id)
        shard.sessions[session_id] = _Held({sid}, from_id)
        await self._wake(shard)

    def detach(self, session_id: str, sid: str) -> None:
        shard = self._shard(session_id)
        held = shard.sessions.get(session_id)
        if held is None:
            return
        held.sids.discard(sid)
        if not held.sids:
            del shard.sessions[session_id]

    @property
    def held_sessions(self) -> int:
        return sum(len(s.sessions) for s in self._shards)

    async def _tail(self, session_id: str) -> str:
        last = await self.redis.xrevrange(self.names.ui_stream(session_id), count=1)
        if not last:
            return FROM_START
        entry_id = last[0][0]
        return entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)

    async def _wake(self, shard: _Shard) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.xadd(shard.wake_key, {"w": "1"}, maxlen=16, approximate=False)
            pipe.expire(shard.wake_key, 86_400)
            await pipe.execute()

    async def _run(self, shard: _Shard) -> None:
        backoff = RedisBackoff(f"relay shard {shard.index}", logger)
        while True:
            try:
                if backoff.failing:
                    # Redis may have restarted empty: the wake stream starts over.
                    shard.wake_last = await self._wake_tail(shard)
                    if backoff.succeeded() and self.on_recovered is not None:
                        await self.on_recovered()
                await self._read_once(shard)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis away or a bad entry: log, back off, go on
                await backoff.wait(exc)

    async def _read_once(self, shard: _Shard) -> None:
        if shard.wake_last == "$":
            shard.wake_last = await self._wake_tail(shard)
        streams: dict[Any, Any] = {shard.wake_key: shard.wake_last}
        keys: dict[bytes, str] = {}
        for session_id, held in shard.sessions.items():
            key = self.names.ui_stream(session_id)
            streams[key] = held.last_id
            keys[key.encode()] = session_id
        response = await self.redis.xread(streams, count=_BATCH, block=_BLOCK_MS)
        for key, entries in response or []:
            if not entries:
                continue
            if key == shard.wake_key.encode():
                shard.wake_last = entries[-1][0].decode()
                continue
            owner = keys.get(key)
            holder = shard.sessions.get(owner) if owner else None
            if owner is None or holder is None:
                continue
            for entry_id, fields in entries:
                holder.last_id = entry_id.decode()
                await self._deliver(owner, holder, fields, holder.last_id)

    async def _wake_tail(self, shard: _Shard) -> str:
        last = await self.redis.xrevrange(shard.wake_key, count=1)
        return last[0][0].decode() if last else FROM_START

    async def _deliver(
        self, session_id: str, held: _Held, fields: dict[bytes, bytes], entry_id: str
    ) -> None:
        raw = fields.get(b"e")
        if raw is None:
            return
        try:
            event = parse_ui_frame(raw)
        except (UnknownUiEvent, ValueError):
            # Skipped, not fatal: one bad entry must not stall the session's stream.
            logger.warning(
                "ui stream entry skipped",
                extra={"session_id": session_id, "entry_id": entry_id},
                exc_info=True,
            )
            return
        self.events_relayed += 1
        for sid in tuple(held.sids):
            await self.emit(sid, session_id, event, entry_id)
