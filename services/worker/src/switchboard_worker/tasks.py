"""The arq job: drain one session's inbox while holding its lock.

Inputs of one session run strictly one after another, whichever worker picks
up their jobs. A job that finds the lock taken leaves the input to the
holder; it retries later only in case the holder died.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import Any

from arq import Retry
from redis.asyncio import Redis

from switchboard.aio import resolved
from switchboard.names import RedisNames
from switchboard.schema.control import StopRequest
from switchboard.schema.jobs import session_input_adapter
from switchboard_worker.runner import SessionRunner

__all__ = ("SessionDrainer", "run_session")

logger = logging.getLogger(__name__)

# KEYS: lock, inbox. ARGV: token. 1 = released or lost (stop), 0 = more input.
_RELEASE_IF_EMPTY = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 1
end
if redis.call('LLEN', KEYS[2]) == 0 then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
"""

# KEYS: lock. ARGV: token, ttl ms.
_REFRESH = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""

RETRY_DELAY_S = 1.0


class SessionDrainer:
    def __init__(
        self, redis: Redis, names: RedisNames, runner: SessionRunner, lock_ttl_ms: int
    ) -> None:
        self.redis = redis
        self.names = names
        self.runner = runner
        self.lock_ttl_ms = lock_ttl_ms
        self._release = redis.register_script(_RELEASE_IF_EMPTY)
        self._refresh = redis.register_script(_REFRESH)
        # Sessions whose lock this worker holds, and stops to apply between inputs.
        self.held: set[str] = set()
        self.pending_stops: set[str] = set()

    async def drain(self, session_id: str) -> str:
        lock = self.names.lock(session_id)
        inbox = self.names.inbox(session_id)
        token = uuid.uuid4().hex
        if not await self.redis.set(lock, token, nx=True, px=self.lock_ttl_ms):
            if await resolved(self.redis.llen(inbox)) == 0:
                return "drained-elsewhere"
            raise Retry(defer=RETRY_DELAY_S)
        processed = await self._drain_locked(session_id, token)
        return f"processed {processed}"

    async def on_stop(self, request: StopRequest) -> None:
        """Apply a stop heard on the control channel, if this worker is the one to."""
        sid = request.session_id
        if sid in self.held:
            if not await self._claim(request):
                return
            if not self.runner.cancel_running(sid):
                self.pending_stops.add(sid)
            return
        token = uuid.uuid4().hex
        if not await self.redis.set(self.names.lock(sid), token, nx=True, px=self.lock_ttl_ms):
            return  # another worker holds the session and handles the stop
        if await self._claim(request):
            self.pending_stops.add(sid)
        await self._drain_locked(sid, token)

    async def _claim(self, request: StopRequest) -> bool:
        key = self.names.stop_claim(request.session_id, request.id)
        return bool(await self.redis.set(key, "1", nx=True, ex=60))

    async def _drain_locked(self, session_id: str, token: str) -> int:
        lock = self.names.lock(session_id)
        inbox = self.names.inbox(session_id)
        self.held.add(session_id)
        heartbeat = asyncio.create_task(self._heartbeat(lock, token))
        processed = 0
        try:
            while True:
                if session_id in self.pending_stops:
                    self.pending_stops.discard(session_id)
                    await self.runner.after_stop(session_id)
                raw = await resolved(self.redis.lpop(inbox))
                if raw is None or isinstance(raw, list):
                    if await self._release(keys=[lock, inbox], args=[token]):
                        break
                    continue
                try:
                    item = session_input_adapter.validate_json(raw)
                except ValueError:
                    logger.error(
                        "malformed session input dropped", extra={"session_id": session_id}
                    )
                    continue
                await self.runner.handle(item)
                processed += 1
        finally:
            self.held.discard(session_id)
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
        return processed

    async def _heartbeat(self, lock: str, token: str) -> None:
        while True:
            await asyncio.sleep(self.lock_ttl_ms / 3000)
            await self._refresh(keys=[lock], args=[token, self.lock_ttl_ms])


async def run_session(ctx: dict[str, Any], session_id: str) -> str:
    drainer: SessionDrainer = ctx["drainer"]
    return await drainer.drain(session_id)
