"""A session's start and its disconnect grace: one Redis script each.

Connecting is on every user's path and every reload's, so it must be cheap: the
gateway runs :meth:`SessionLifecycle.connect` itself, one round trip to Redis,
instead of calling the sessions service over HTTP (which cost a signed service
token, an HTTP exchange and a second process's CPU per connect). The scripts
here are the whole contract of creation and restore; the sessions service
serves the same calls over HTTP for other callers and owns what happens after
(the grace, ``on_chat_end``, lost workers).
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import cast

from redis.asyncio import Redis

from switchboard.names import RedisNames
from switchboard.schema.session import ConnectRequest, ConnectResult, SessionRecord
from switchboard.session_state import SessionField

__all__ = ("SessionEnded", "SessionForbidden", "SessionLifecycle")

logger = logging.getLogger(__name__)


class SessionForbidden(Exception):
    """The session belongs to another identity."""


class SessionEnded(Exception):
    """The session is ending; the client must start a new one."""


# KEYS: session hash, expiring zset. ARGV: session id, requester ("=" + identifier,
# or "" when anonymous), the record of a new session, session TTL (s).
# Returns {'ending'}, {'forbidden'}, {'restored', record} or {'created', record}.
# Only its owner's reconnect cancels a pending end: a refused attempt by someone
# else must not keep another user's session (and its on_chat_end) alive.
_CONNECT = f"""
if redis.call('HGET', KEYS[1], '{SessionField.ENDING}') == '1' then
  return {{'ending'}}
end
local record = redis.call('HGET', KEYS[1], '{SessionField.RECORD}')
if record then
  local user = cjson.decode(record)['user']
  local owner = ''
  if type(user) == 'table' and type(user['identifier']) == 'string' then
    owner = '=' .. user['identifier']
  end
  if owner ~= ARGV[2] then
    return {{'forbidden'}}
  end
  redis.call('ZREM', KEYS[2], ARGV[1])
  return {{'restored', record}}
end
redis.call('HSET', KEYS[1], '{SessionField.RECORD}', ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return {{'created', ARGV[3]}}
"""

# KEYS: session hash, expiring zset. ARGV: session id, unix time the grace ends.
_DISCONNECT = """
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return 1
"""


class SessionLifecycle:
    def __init__(
        self, redis: Redis, names: RedisNames, *, session_ttl: int, session_timeout: int
    ) -> None:
        self.names = names
        self.session_ttl = session_ttl
        self.session_timeout = session_timeout
        self._connect = redis.register_script(_CONNECT)
        self._disconnect = redis.register_script(_DISCONNECT)

    async def connect(self, request: ConnectRequest) -> ConnectResult:
        """Restore the caller's live session, or create it: one atomic step."""
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
        requester = f"={request.user.identifier}" if request.user else ""
        reply = cast(
            "list[bytes]",
            await self._connect(
                keys=[self.names.session(request.session_id), self.names.expiring],
                args=[request.session_id, requester, record.model_dump_json(), self.session_ttl],
            ),
        )
        outcome = reply[0].decode()
        if outcome == "ending":
            raise SessionEnded("session has ended; connect with a new session id")
        if outcome == "forbidden":
            logger.warning(
                "session restore refused",
                extra={"session_id": request.session_id, "requester": requester[1:] or None},
            )
            raise SessionForbidden("authorization failed")
        if outcome == "restored":
            restored = SessionRecord.model_validate_json(reply[1])
            logger.info("session restored", extra={"session_id": restored.id})
            return ConnectResult(session=restored, restored=True)
        logger.info(
            "session created",
            extra={"session_id": record.id, "thread_id": record.thread_id, "user": record.owner},
        )
        return ConnectResult(session=record, restored=False)

    async def disconnect(self, session_id: str, *, clear: bool) -> bool:
        """Start the session's grace (none if ``clear``); False if it is already gone."""
        grace = 0 if clear else self.session_timeout
        keys = [self.names.session(session_id), self.names.expiring]
        started = bool(await self._disconnect(keys=keys, args=[session_id, time.time() + grace]))
        if started:
            logger.info("session disconnected", extra={"session_id": session_id, "grace_s": grace})
        return started
