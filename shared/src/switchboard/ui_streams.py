"""Appending UI events to a session's stream, which a reconnecting client replays.

Each stream's expiry and replay trim are refreshed once per period rather
than with every event, so an event costs one XADD.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from switchboard.names import RedisNames
from switchboard.schema.envelope import Envelope

__all__ = (
    "MAINTAIN_EVERY_S",
    "REPLAY_MARGIN_S",
    "UI_STREAM_MAXLEN",
    "PersistEntry",
    "UiStreamWriter",
)

# A reconnecting client can replay at most this many events of its session.
UI_STREAM_MAXLEN = 10_000
# Events older than the disconnect grace plus this are trimmed: a client that can still
# resume its session left less than the grace ago, and saw everything before it left.
# The margin covers clocks of writers and Redis that disagree a little.
REPLAY_MARGIN_S = 300.0
# A UI stream's expiry and replay trim are refreshed at most this often per stream (and
# four times per replay window when that is shorter): an XADD alone per event otherwise.
MAINTAIN_EVERY_S = 30.0
# Beyond this many streams remembered, entries older than the refresh period are dropped.
_MAINTAINED_MAX = 50_000


@dataclass(frozen=True)
class PersistEntry:
    """A persistence event in a batch of UI events: written to the persistence stream,
    in its place, so a step queued to be stored and then shown is never shown alone."""

    event: Envelope


class UiStreamWriter:
    """The UI-stream part of :class:`switchboard.streams.Streams`."""

    redis: Redis
    names: RedisNames
    session_ttl: int
    replay_window_ms: int
    _maintain_every: float
    _maintained: dict[str, float]

    def _init_ui_streams(self, session_ttl: int, replay_margin: float) -> None:
        self.replay_window_ms = int((session_ttl + replay_margin) * 1000)
        self._maintain_every = min(MAINTAIN_EVERY_S, (session_ttl + replay_margin) / 4)
        self._maintained = {}

    async def emit(self, event: Envelope) -> str:
        """Append a UI event to its session's stream; returns the stream id."""
        key = self.names.ui_stream(event.session_id)
        async with self.redis.pipeline(transaction=False) as pipe:
            self._append(pipe, key, event)
            self._maintain(pipe, key)
            stream_id, *_ = await pipe.execute()
        return stream_id.decode() if isinstance(stream_id, bytes) else str(stream_id)

    async def emit_many(self, events: Sequence[Envelope | PersistEntry]) -> None:
        """Append several UI events (and persistence events) in order with one round trip.

        One pipeline on one connection: Redis applies it in order, so a writer that
        dies mid-way leaves a prefix, and a step's persistence entry queued before its
        UI event is stored whenever it is shown.
        """
        if not events:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            keys = set()
            scripted: list[tuple[int, str]] = []
            for event in events:
                if isinstance(event, PersistEntry):
                    if await self.queue_persist(pipe, event.event):
                        scripted.append((len(pipe), event.event.session_id))
                    continue
                key = self.names.ui_stream(event.session_id)
                keys.add(key)
                self._append(pipe, key, event)
            for key in keys:
                self._maintain(pipe, key)
            replies = await pipe.execute()
        for index, session_id in scripted:
            self.persisted(session_id, replies[index - 1])

    async def queue_persist(self, pipe: Pipeline, event: Envelope) -> bool:
        raise NotImplementedError  # provided by PersistWriter in Streams

    def persisted(self, session_id: str, reply: object) -> None:
        raise NotImplementedError  # provided by PersistWriter in Streams

    @staticmethod
    def _append(pipe: Pipeline, key: str, event: Envelope) -> None:
        # "~": Redis trims whole nodes when convenient, not on every append.
        pipe.xadd(key, {"e": event.model_dump_json()}, maxlen=UI_STREAM_MAXLEN, approximate=True)

    def _maintain(self, pipe: Pipeline, key: str) -> None:
        """Refresh the stream's expiry and trim its old events, once per period.

        Every event used to cost an EXPIRE and an XTRIM besides its XADD. Both only need
        to happen well within the expiry and the replay window, so this process does them
        the first time it writes a stream and then at most every ``_maintain_every`` s.
        """
        now = time.monotonic()
        last = self._maintained.get(key)
        if last is not None and now - last < self._maintain_every:
            return
        if len(self._maintained) >= _MAINTAINED_MAX:
            horizon = now - self._maintain_every
            self._maintained = {k: t for k, t in self._maintained.items() if t > horizon}
        self._maintained[key] = now
        pipe.expire(key, self.session_ttl)
        cutoff = int(time.time() * 1000) - self.replay_window_ms
        if cutoff > 0:
            # Whole stream nodes older than any resumable client could ask for.
            pipe.xtrim(key, minid=f"{cutoff}-0", approximate=True)
