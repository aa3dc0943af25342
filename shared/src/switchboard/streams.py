"""Redis operations every service shares: UI streams, persistence, the inbox.

:class:`Streams` binds one Redis and one deployment's names to its three parts:
UI streams (:mod:`switchboard.ui_streams`), persistence deferred until the
first interaction (:mod:`switchboard.persist_writer`), session inboxes with
the job queue (:mod:`switchboard.inbox`), and the workers' control channel. The multi-key operations are Lua
scripts (:mod:`switchboard.stream_scripts`) so that concurrent producers (a
worker deferring a step while a gateway marks the first interaction) can never
interleave and strand an event. The names other modules import from here are
re-exported.
"""

from __future__ import annotations

from redis.asyncio import Redis

from switchboard.acceptance import Acceptance, Admission, MessageOffer, thread_created
from switchboard.inbox import APP_CALL_FUNCTION, JOB_FUNCTION, InboxWriter, encode_job
from switchboard.names import RedisNames
from switchboard.persist_writer import PersistWriter
from switchboard.schema.control import McpRelease, StopRequest
from switchboard.ui_streams import REPLAY_MARGIN_S, UI_STREAM_MAXLEN, UiStreamWriter

__all__ = (
    "APP_CALL_FUNCTION",
    "JOB_FUNCTION",
    "UI_STREAM_MAXLEN",
    "Acceptance",
    "Admission",
    "MessageOffer",
    "Streams",
    "encode_job",
    "thread_created",
)

# Session data outlives the disconnect grace by this much, as a safety net.
SESSION_TTL_MARGIN = 3600


class Streams(PersistWriter, UiStreamWriter, InboxWriter):
    """Typed writes to a deployment's Redis, bound to its names."""

    def __init__(
        self,
        redis: Redis,
        names: RedisNames,
        session_ttl: int,
        replay_margin: float = REPLAY_MARGIN_S,
    ) -> None:
        self.redis = redis
        self.names = names
        self.session_ttl = session_ttl + SESSION_TTL_MARGIN
        self._init_ui_streams(session_ttl, replay_margin)
        self._init_persist_writer()
        self._init_inbox()

    async def publish_control(self, message: StopRequest | McpRelease) -> None:
        """Tell every worker at once, ahead of any queued work (the control channel)."""
        await self.redis.publish(self.names.control, message.model_dump_json())
