"""Session records and lifecycle in Redis: create, restore, disconnect grace, end."""

from __future__ import annotations

import logging
import time
import uuid

from arq.constants import in_progress_key_prefix, job_key_prefix, retry_key_prefix
from redis.asyncio import Redis

from switchboard.schema.jobs import ChatEndInput
from switchboard.schema.session import ConnectRequest, ConnectResult
from switchboard.session_lifecycle import SessionEnded as SessionLifecycleEnded
from switchboard.session_lifecycle import SessionForbidden as SessionLifecycleForbidden
from switchboard.session_lifecycle import SessionLifecycle
from switchboard.session_state import SessionField
from switchboard.streams import JOB_FUNCTION, Streams
from switchboard_sessions.errors import SessionEnded, SessionForbidden

__all__ = ("SessionRegistry",)

logger = logging.getLogger(__name__)

# KEYS: expiring zset. ARGV: now, limit, session key prefix, session key suffix.
# Claims sessions whose grace ended and marks them ending, atomically, so a
# reconnect either restores the session before this or is refused after it.
_CLAIM_EXPIRED = f"""
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
local claimed = {{}}
for _, id in ipairs(ids) do
  if redis.call('ZREM', KEYS[1], id) == 1 then
    local key = ARGV[3] .. id .. ARGV[4]
    if redis.call('EXISTS', key) == 1 then
      redis.call('HSET', key, '{SessionField.ENDING}', '1')
      table.insert(claimed, id)
    end
  end
end
return claimed
"""

# KEYS: running zset, running jobs hash, the arq queue. ARGV: now, limit, then arq's
# job, in-progress and retry key prefixes. Claims sessions whose worker stopped
# refreshing their lock and takes that worker's job off the queue at once (arq would
# count it as in progress until its timeout, an hour), atomically, so two replicas
# never both claim one session.
_CLAIM_LOST = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
local claimed = {}
for _, id in ipairs(ids) do
  if redis.call('ZREM', KEYS[1], id) == 1 then
    local job = redis.call('HGET', KEYS[2], id)
    if job then
      redis.call('HDEL', KEYS[2], id)
      redis.call('ZREM', KEYS[3], job)
      redis.call('DEL', ARGV[3] .. job, ARGV[4] .. job, ARGV[5] .. job)
    end
    table.insert(claimed, id)
  end
end
return claimed
"""


class SessionRegistry:
    def __init__(self, redis: Redis, streams: Streams, session_timeout: int) -> None:
        self.redis = redis
        self.streams = streams
        self.names = streams.names
        self.session_timeout = session_timeout
        self._claim = redis.register_script(_CLAIM_EXPIRED)
        self._claim_lost = redis.register_script(_CLAIM_LOST)
        self.lifecycle = SessionLifecycle(
            redis, self.names, session_ttl=streams.session_ttl, session_timeout=session_timeout
        )

    async def connect(self, request: ConnectRequest) -> ConnectResult:
        try:
            return await self.lifecycle.connect(request)
        except SessionLifecycleEnded as exc:
            raise SessionEnded(str(exc)) from exc
        except SessionLifecycleForbidden as exc:
            raise SessionForbidden(str(exc)) from exc

    async def disconnect(self, session_id: str, *, clear: bool) -> None:
        await self.lifecycle.disconnect(session_id, clear=clear)

    async def reap_lost(self, limit: int = 100) -> list[str]:
        """Sessions whose worker stopped refreshing its lock: have another drain them."""
        claimed = await self._claim_lost(
            keys=[self.names.running, self.names.running_jobs, self.names.queue],
            args=[
                time.time(),
                limit,
                job_key_prefix,
                in_progress_key_prefix,
                retry_key_prefix,
            ],
        )
        rescued = [c.decode() if isinstance(c, bytes) else str(c) for c in claimed]
        for session_id in rescued:
            await self.streams.enqueue_call(JOB_FUNCTION, uuid.uuid4().hex, session_id)
            logger.warning("session's worker lost; rescheduled", extra={"session_id": session_id})
        return rescued

    async def reap(self, limit: int = 100) -> list[str]:
        """End sessions whose grace is over: each gets exactly one ``chat_end``."""
        prefix, suffix = self.names.session("\0").split("\0")
        claimed = await self._claim(
            keys=[self.names.expiring], args=[time.time(), limit, prefix, suffix]
        )
        ended = [c.decode() if isinstance(c, bytes) else str(c) for c in claimed]
        for session_id in ended:
            await self.streams.enqueue(ChatEndInput(session_id=session_id))
            logger.info("session ending", extra={"session_id": session_id})
        return ended
