"""Queueing persistence events, held back until the session's first interaction.

Until a session has interacted its events wait in a deferred list; the first
interaction writes the thread and releases them after it, in one script.
"""

from __future__ import annotations

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.commands.core import AsyncScript

from switchboard.names import RedisNames
from switchboard.schema.envelope import Envelope
from switchboard.stream_scripts import FIRST_INTERACTION, PERSIST_OR_DEFER

__all__ = ("PersistWriter",)

# Sessions remembered as interacted by one process, at most.
_INTERACTED_MAX = 50_000


class PersistWriter:
    """The persistence part of :class:`switchboard.streams.Streams`."""

    redis: Redis
    names: RedisNames
    session_ttl: int
    _interacted: dict[str, None]
    _persist_or_defer: AsyncScript
    _first_interaction: AsyncScript

    def _init_persist_writer(self) -> None:
        # Sessions known to have had their first interaction (insertion ordered).
        self._interacted = {}
        self._persist_or_defer = self.redis.register_script(PERSIST_OR_DEFER)
        self._first_interaction = self.redis.register_script(FIRST_INTERACTION)

    async def persist(self, event: Envelope) -> bool:
        """Queue a persistence event, deferred until the session's first interaction.

        Returns True when the event went to the persistence stream now.
        """
        sid = event.session_id
        if sid in self._interacted:
            # Once a session has interacted it stays so: no need to ask Redis again.
            await self.redis.xadd(self.names.persist_stream, {"e": event.model_dump_json()})
            return True
        keys = [self.names.session(sid), self.names.deferred(sid), self.names.persist_stream]
        result = await self._persist_or_defer(
            keys=keys, args=[event.model_dump_json(), self.session_ttl]
        )
        if result:
            self._note_interacted(sid)
        return bool(result)

    async def queue_persist(self, pipe: Pipeline, event: Envelope) -> bool:
        """Queue ``persist(event)`` on ``pipe``, behind what it already holds.

        True when the reply is the deferral script's (pass it to :meth:`persisted`).
        """
        if event.session_id in self._interacted:
            pipe.xadd(self.names.persist_stream, {"e": event.model_dump_json()})
            return False
        keys = [
            self.names.session(event.session_id),
            self.names.deferred(event.session_id),
            self.names.persist_stream,
        ]
        await self._persist_or_defer(
            keys=keys, args=[event.model_dump_json(), self.session_ttl], client=pipe
        )
        return True

    def persisted(self, session_id: str, reply: object) -> None:
        """Take note of a queued deferral script's reply (see :meth:`queue_persist`)."""
        if reply:
            self._note_interacted(session_id)

    def _note_interacted(self, session_id: str) -> None:
        if len(self._interacted) >= _INTERACTED_MAX:
            # Oldest first out: a forgotten session only costs the script again.
            for old in list(self._interacted)[: _INTERACTED_MAX // 2]:
                del self._interacted[old]
        self._interacted[session_id] = None

    async def first_interaction(self, session_id: str, thread_upsert: Envelope) -> bool:
        """Mark the first interaction and release deferred writes after the thread."""
        keys = [
            self.names.session(session_id),
            self.names.deferred(session_id),
            self.names.persist_stream,
        ]
        first = bool(
            await self._first_interaction(keys=keys, args=[thread_upsert.model_dump_json()])
        )
        self._note_interacted(session_id)
        return first
