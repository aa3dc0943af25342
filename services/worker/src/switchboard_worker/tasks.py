"""The arq job: drain one session's inbox while holding its lock.

Inputs of one session run strictly one after another, whichever worker picks
up their jobs. A job that finds the lock taken leaves the input to the
holder; it retries later only in case the holder died.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from typing import Any

from arq import Retry
from redis.asyncio import Redis

from switchboard.aio import resolved
from switchboard.names import RedisNames
from switchboard.reconnect import RedisBackoff
from switchboard.schema.control import StopRequest
from switchboard.schema.jobs import session_input_adapter
from switchboard.streams import JOB_FUNCTION
from switchboard_worker.runner import SessionRunner

__all__ = ("SessionDrainer", "run_session")

logger = logging.getLogger(__name__)

# KEYS: lock, inbox, running zset. ARGV: token, session id.
# 1 = released or lost (stop draining), 0 = more input arrived.
_RELEASE_IF_EMPTY = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 1
end
if redis.call('LLEN', KEYS[2]) == 0 then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[3], ARGV[2])
  return 1
end
return 0
"""

# KEYS: lock, running zset. ARGV: token, ttl ms, session id, lapse time (unix s).
_REFRESH = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('ZADD', KEYS[2], ARGV[4], ARGV[3])
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""

RETRY_DELAY_S = 1.0


class SessionDrainer:
    def __init__(
        self, redis: Redis, names: RedisNames, runner: SessionRunner, lock_ttl_ms: int
    ) -> None:
        self.streams = runner.streams
        self.redis = redis
        self.names = names
        self.runner = runner
        self.lock_ttl_ms = lock_ttl_ms
        self._release = redis.register_script(_RELEASE_IF_EMPTY)
        self._refresh = redis.register_script(_REFRESH)
        # Sessions whose lock this worker holds, and stops to apply between inputs.
        self.held: set[str] = set()
        self.pending_stops: set[str] = set()
        # Set on SIGTERM: finish the running input, then hand the session over.
        self.closing = False

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
            if not await self.runner.cancel_running(sid):
                self.pending_stops.add(sid)
            return
        token = uuid.uuid4().hex
        if not await self.redis.set(self.names.lock(sid), token, nx=True, px=self.lock_ttl_ms):
            return  # another worker holds the session and handles the stop
        if await self._claim(request):
            self.pending_stops.add(sid)
        await self._drain_locked(sid, token)

    async def _hand_over(self, session_id: str, token: str) -> None:
        """Release the session and queue a drain job for whichever worker comes next."""
        lock = self.names.lock(session_id)
        if await resolved(self.redis.get(lock)) == token.encode():
            await self.redis.delete(lock)
        await resolved(self.redis.zrem(self.names.running, session_id))
        await self.streams.enqueue_call(JOB_FUNCTION, uuid.uuid4().hex, session_id)
        logger.info("session handed over", extra={"session_id": session_id})

    async def _claim(self, request: StopRequest) -> bool:
        key = self.names.stop_claim(request.session_id, request.id)
        return bool(await self.redis.set(key, "1", nx=True, ex=60))

    async def _drain_locked(self, session_id: str, token: str) -> int:
        lock = self.names.lock(session_id)
        inbox = self.names.inbox(session_id)
        current = self.names.current(session_id)
        self.held.add(session_id)
        await self._refresh_lock(session_id, token)
        heartbeat = asyncio.create_task(self._heartbeat(session_id, token))
        processed = 0
        handed_over = False
        try:
            await self.runner.recover(session_id)
            while True:
                if self.closing:
                    await self._hand_over(session_id, token)
                    handed_over = True
                    break
                if session_id in self.pending_stops:
                    self.pending_stops.discard(session_id)
                    await self.runner.after_stop(session_id)
                raw = await resolved(self.redis.lpop(inbox))
                if raw is None or isinstance(raw, list):
                    keys = [lock, inbox, self.names.running]
                    if await self._release(keys=keys, args=[token, session_id]):
                        break
                    continue
                try:
                    item = session_input_adapter.validate_json(raw)
                except ValueError as exc:
                    logger.error(
                        "malformed session input dropped",
                        extra={"session_id": session_id, "reason": str(exc)[:500]},
                    )
                    continue
                await resolved(self.redis.hset(current, "input", raw))
                await self.runner.handle(item)
                await self.redis.delete(current)
                processed += 1
        except asyncio.CancelledError:
            # Shut down mid-input: let another worker report it and go on at once.
            if not handed_over:
                await asyncio.shield(self._hand_over(session_id, token))
            raise
        finally:
            self.held.discard(session_id)
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
        return processed

    async def _refresh_lock(self, session_id: str, token: str) -> None:
        lapse = time.time() + self.lock_ttl_ms / 1000
        await self._refresh(
            keys=[self.names.lock(session_id), self.names.running],
            args=[token, self.lock_ttl_ms, session_id, lapse],
        )

    async def _heartbeat(self, session_id: str, token: str) -> None:
        backoff = RedisBackoff(f"lock heartbeat {session_id}", logger)
        while True:
            await asyncio.sleep(self.lock_ttl_ms / 3000)
            try:
                await self._refresh_lock(session_id, token)
            except Exception as exc:  # Redis away: keep beating; the lock may lapse meanwhile
                backoff.failed(exc)
                continue
            backoff.succeeded()


async def run_session(ctx: dict[str, Any], session_id: str) -> str:
    drainer: SessionDrainer = ctx["drainer"]
    return await drainer.drain(session_id)
