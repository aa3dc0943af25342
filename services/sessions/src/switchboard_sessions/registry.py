"""Session records and lifecycle in Redis: create, restore, disconnect grace, end."""

from __future__ import annotations

import logging
import time
import uuid

from redis.asyncio import Redis

from switchboard.aio import resolved
from switchboard.schema.jobs import ChatEndInput
from switchboard.schema.session import ConnectRequest, ConnectResult, SessionRecord
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

# KEYS: session hash, expiring zset. ARGV: session id, requester ("=" + identifier,
# or "" when anonymous). Returns the record if the session is live, else 'ending' or
# nil. Only its owner's reconnect cancels its pending end: a refused attempt by
# someone else must not keep another user's session (and its on_chat_end) alive.
_RESTORE = f"""
if redis.call('HGET', KEYS[1], '{SessionField.ENDING}') == '1' then
  return 'ending'
end
local record = redis.call('HGET', KEYS[1], '{SessionField.RECORD}')
if record then
  local user = cjson.decode(record)['user']
  local owner = ''
  if type(user) == 'table' and type(user['identifier']) == 'string' then
    owner = '=' .. user['identifier']
  end
  if owner == ARGV[2] then
    redis.call('ZREM', KEYS[2], ARGV[1])
  end
end
return record
"""


class SessionRegistry:
    def __init__(self, redis: Redis, streams: Streams, session_timeout: int) -> None:
        self.redis = redis
        self.streams = streams
        self.names = streams.names
        self.session_timeout = session_timeout
        self._claim = redis.register_script(_CLAIM_EXPIRED)
        self._restore = redis.register_script(_RESTORE)

    async def connect(self, request: ConnectRequest) -> ConnectResult:
        key = self.names.session(request.session_id)
        requester = f"={request.user.identifier}" if request.user else ""
        existing = await self._restore(
            keys=[key, self.names.expiring], args=[request.session_id, requester]
        )
        if existing is not None:
            return self._restored(request, existing)
        record = SessionRecord(
            id=request.session_id,
            thread_id=str(uuid.uuid4()),
            user=request.user,
            client_type=request.client_type,
            chat_profile=request.chat_profile,
            user_env=request.user_env,
            language=request.language,
            thread_id_to_resume=request.thread_id,
            created_at=time.time(),
        )
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hsetnx(key, SessionField.RECORD, record.model_dump_json())
            pipe.expire(key, self.streams.session_ttl)
            created, _ = await pipe.execute()
        if not created:  # another gateway created it a moment ago
            raw = await resolved(self.redis.hget(key, SessionField.RECORD))
            if raw is None:
                raise SessionEnded("session ended while connecting")
            return self._restored(request, raw)
        logger.info(
            "session created",
            extra={"session_id": record.id, "thread_id": record.thread_id, "user": record.owner},
        )
        return ConnectResult(session=record, restored=False)

    def _restored(self, request: ConnectRequest, raw: bytes | str) -> ConnectResult:
        if raw in (b"ending", "ending"):
            raise SessionEnded("session has ended; connect with a new session id")
        record = SessionRecord.model_validate_json(raw)
        requester = request.user.identifier if request.user else None
        if record.owner != requester:
            logger.warning(
                "session restore refused",
                extra={"session_id": record.id, "owner": record.owner, "requester": requester},
            )
            raise SessionForbidden("authorization failed")
        logger.info("session restored", extra={"session_id": record.id})
        return ConnectResult(session=record, restored=True)

    async def disconnect(self, session_id: str, *, clear: bool) -> None:
        if not await self.redis.exists(self.names.session(session_id)):
            return
        grace = 0 if clear else self.session_timeout
        await self.redis.zadd(self.names.expiring, {session_id: time.time() + grace})
        logger.info(
            "session disconnected",
            extra={"session_id": session_id, "grace_s": grace},
        )

    async def reap_lost(self, limit: int = 100) -> list[str]:
        """Sessions whose worker stopped refreshing its lock: have another drain them."""
        lapsed = await resolved(
            self.redis.zrangebyscore(self.names.running, "-inf", time.time(), start=0, num=limit)
        )
        rescued = []
        for raw in lapsed:
            session_id = raw.decode() if isinstance(raw, bytes) else str(raw)
            if not await resolved(self.redis.zrem(self.names.running, session_id)):
                continue  # another sessions replica took it
            await self.streams.enqueue_call(JOB_FUNCTION, uuid.uuid4().hex, session_id)
            rescued.append(session_id)
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
