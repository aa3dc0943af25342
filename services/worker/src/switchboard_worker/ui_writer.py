"""One session's UI events on their way to Redis: in order, with streamed tokens merged.

An LLM step streams one token every few milliseconds. Writing each one as its own
event costs a Redis round trip in the worker, a read and a Socket.IO frame in the
gateway, and a render in the browser. The Chainlit client appends ``stream_token``
text to its step, so tokens of one step that arrive while an earlier write is still
in flight can travel as one event and show the same on screen.

Rules kept here:

- The first token after a quiet moment goes out at once; only tokens that arrive
  while a write is in flight wait, merged, for the next write.
- Every other event waits until it and everything before it is in Redis, so the
  order across event types never changes and an app that awaits ``send()`` knows
  its message is on its way.
- Everything queued is written in one pipelined round trip per flush.
- Persistence events queue here too (:class:`PersistEntry`), in their place: a
  step's stored state goes in the same pipeline as, and before, its UI event, so
  a worker killed mid-write leaves a step stored and unshown at worst, never
  shown and lost, and storing costs no round trip of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from switchboard.schema.envelope import Envelope
from switchboard.schema.events import StreamToken, StreamTokenPayload
from switchboard.streams import Streams
from switchboard.ui_streams import PersistEntry

__all__ = ("MAX_MERGED_CHARS", "UiWriter")

logger = logging.getLogger(__name__)

# Tokens are merged up to this many characters per event: a flood of big tokens
# still travels as events a client and a replay can take in one piece.
MAX_MERGED_CHARS = 64 * 1024


class UiWriter:
    """The ordered, coalescing UI event queue of one session in one worker."""

    def __init__(self, streams: Streams) -> None:
        self._streams = streams
        # Events not yet handed to Redis, oldest first.
        self._queue: list[Envelope | PersistEntry] = []
        self._pump: asyncio.Task[None] | None = None
        self._failure: Exception | None = None
        # Counters for tests and logs: events asked for, events written.
        self.emitted = 0
        self.written = 0

    @property
    def idle(self) -> bool:
        return not self._queue and (self._pump is None or self._pump.done())

    async def emit(self, event: Envelope) -> None:
        """Queue ``event``; tokens return at once, anything else once it is written."""
        self._raise_failure()
        self.emitted += 1
        if isinstance(event, StreamToken):
            self._push_token(event)
            if self._start_pump():
                # Let the pump send this first token before the app produces the next.
                await asyncio.sleep(0)
            return
        self._queue.append(event)
        await self.flush()

    def enqueue_persist(self, event: Envelope) -> None:
        """Queue a persistence event; the next write (an emit or a flush) carries it."""
        self._queue.append(PersistEntry(event))
        self.emitted += 1

    def enqueue(self, events: list[Envelope]) -> None:
        """Queue ``events`` behind whatever is queued, without waiting."""
        self._queue.extend(events)
        self.emitted += len(events)
        if events:
            self._start_pump()

    async def flush(self) -> None:
        """Return once everything queued so far is in Redis (or raise why it is not)."""
        while not self.idle:
            self._start_pump()
            assert self._pump is not None
            # Shielded: a callback cancelled by a stop must not cancel a write half-way.
            await asyncio.shield(self._pump)
        self._raise_failure()

    def _push_token(self, event: StreamToken) -> None:
        last = self._queue[-1] if self._queue else None
        if (
            isinstance(last, StreamToken)
            and last.payload.id == event.payload.id
            and last.payload.isInput == event.payload.isInput
            and len(last.payload.token) + len(event.payload.token) <= MAX_MERGED_CHARS
        ):
            if event.payload.isSequence:
                # A sequence token replaces the step's text: what came before is moot.
                self._queue[-1] = event
            else:
                self._queue[-1] = last.model_copy(
                    update={
                        "payload": StreamTokenPayload(
                            id=last.payload.id,
                            token=last.payload.token + event.payload.token,
                            isSequence=last.payload.isSequence,
                            isInput=last.payload.isInput,
                        )
                    }
                )
            return
        self._queue.append(event)

    def _start_pump(self) -> bool:
        """Start writing unless a write is already in flight; True if one started."""
        if self._pump is not None and not self._pump.done():
            return False
        if not self._queue:
            return False
        self._pump = asyncio.create_task(self._run_pump())
        return True

    async def _run_pump(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            try:
                await self._streams.emit_many(batch)
            except Exception as exc:
                # Raised to the app at its next emit or flush, as a direct write would.
                self._failure = exc
                first = batch[0]
                session_id = (first.event if isinstance(first, PersistEntry) else first).session_id
                logger.warning(
                    "ui events not written", extra={"session_id": session_id, "events": len(batch)}
                )
                return
            self.written += len(batch)

    def _raise_failure(self) -> None:
        if self._failure is not None:
            failure, self._failure = self._failure, None
            raise failure

    async def close(self) -> None:
        """Stop a pump that is still writing (worker shutdown)."""
        if self._pump is not None and not self._pump.done():
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
