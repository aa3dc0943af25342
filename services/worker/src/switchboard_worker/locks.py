"""Session locks: taken with the job that drains them, kept alive from a thread.

A session's inputs run in the one worker that holds its lock. If that worker
dies, the lock must lapse soon (the sessions service then hands the session to
another worker and takes the dead worker's job off the queue), but never while
the worker lives. The second is the hard part in a Python worker: an app that
calls a blocking client inside ``async def`` stalls the event loop for seconds,
and a lock refreshed from that loop would lapse under a live callback.
:class:`LockKeeper` therefore refreshes every lock this process holds from a
thread of its own, in one script call per beat, so the TTL can be short
(detection within seconds) and still only lapse when the process is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time

from redis.asyncio import ConnectionPool, Redis

from switchboard.names import RedisNames
from switchboard.reconnect import RedisBackoff

__all__ = ("BEATS_PER_TTL", "LockKeeper", "SessionLocks")

logger = logging.getLogger(__name__)

# A lock is refreshed this many times per TTL: one missed beat never loses it.
BEATS_PER_TTL = 3

# KEYS: lock, running zset, running jobs hash. ARGV: token, ttl ms, session id,
# lapse (unix s), job id ('' for none). 1 = taken.
_ACQUIRE = """
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[3])
if ARGV[5] ~= '' then
  redis.call('HSET', KEYS[3], ARGV[3], ARGV[5])
else
  redis.call('HDEL', KEYS[3], ARGV[3])
end
return 1
"""

# KEYS: lock, running zset, running jobs hash. ARGV: token, session id.
_RELEASE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('HDEL', KEYS[3], ARGV[2])
return 1
"""

# KEYS: running zset, then one lock per held session. ARGV: ttl ms, lapse (unix s),
# then session id and token per lock. Returns the sessions whose lock is not ours.
_REFRESH_ALL = """
local lost = {}
for i = 1, #KEYS - 1 do
  local sid = ARGV[1 + 2 * i]
  if redis.call('GET', KEYS[i + 1]) == ARGV[2 + 2 * i] then
    redis.call('PEXPIRE', KEYS[i + 1], ARGV[1])
    redis.call('ZADD', KEYS[1], ARGV[2], sid)
  else
    lost[#lost + 1] = sid
  end
end
return lost
"""

# KEYS: lock, inbox, current, running zset, running jobs hash. ARGV: token, session id.
# The next input moves from the inbox to ``current`` in one step, so a crash leaves it
# in one of the two; an empty inbox releases the lock in the same step.
# Returns {0} lock lost, {1} released (inbox empty), {2, input}.
POP_INPUT = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return {0}
end
local raw = redis.call('LPOP', KEYS[2])
if not raw then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[4], ARGV[2])
  redis.call('HDEL', KEYS[5], ARGV[2])
  return {1}
end
redis.call('HSET', KEYS[3], 'input', raw)
return {2, raw}
"""


class SessionLocks:
    """Take and give back session locks (the event loop's side)."""

    def __init__(self, redis: Redis, names: RedisNames, ttl_ms: int) -> None:
        self.redis = redis
        self.names = names
        self.ttl_ms = ttl_ms
        self._acquire = redis.register_script(_ACQUIRE)
        self._release = redis.register_script(_RELEASE)

    def _keys(self, session_id: str) -> list[str]:
        return [self.names.lock(session_id), self.names.running, self.names.running_jobs]

    async def acquire(self, session_id: str, token: str, job_id: str) -> bool:
        """Take the lock and list the session as running under ``job_id``: one round trip."""
        lapse = time.time() + self.ttl_ms / 1000
        args: list[str | int | float] = [token, self.ttl_ms, session_id, lapse, job_id]
        return bool(await self._acquire(keys=self._keys(session_id), args=args))

    async def release(self, session_id: str, token: str) -> bool:
        """Give the lock back if it is still ours; False if it lapsed meanwhile."""
        return bool(await self._release(keys=self._keys(session_id), args=[token, session_id]))


class LockKeeper:
    """Refreshes every lock this worker holds, from a thread of its own."""

    def __init__(self, redis: Redis, names: RedisNames, ttl_ms: int) -> None:
        pool = redis.connection_pool
        # The thread runs its own event loop, so it needs connections of its own.
        self._connection_class = pool.connection_class
        self._connection_kwargs = dict(pool.connection_kwargs)
        self.names = names
        self.ttl_ms = ttl_ms
        self.interval_s = ttl_ms / 1000 / BEATS_PER_TTL
        self._held: dict[str, str] = {}
        self._mutex = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        # The thread's loop and the event its wait between beats ends on (set by stop()).
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        # Sessions whose lock another holder has now; read by the drainer.
        self.lost: set[str] = set()

    def hold(self, session_id: str, token: str) -> None:
        with self._mutex:
            self._held[session_id] = token
            self.lost.discard(session_id)

    def drop(self, session_id: str) -> None:
        with self._mutex:
            self._held.pop(session_id, None)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="lock-keeper", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            # Ends the wait between beats now: a worker stops without waiting out a beat.
            with contextlib.suppress(RuntimeError):  # the loop has already closed
                loop.call_soon_threadsafe(wake.set)
        if self._thread is not None:
            self._thread.join(timeout=self.interval_s + 5)
            self._thread = None

    def _run(self) -> None:
        asyncio.run(self._beat_until_stopped())

    async def _beat_until_stopped(self) -> None:
        pool = ConnectionPool(
            connection_class=self._connection_class, max_connections=2, **self._connection_kwargs
        )
        client = Redis(connection_pool=pool)
        refresh = client.register_script(_REFRESH_ALL)
        self._wake = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        backoff = RedisBackoff("session lock refresh", logger)
        try:
            while not self._stopping.is_set():
                started = time.monotonic()
                with self._mutex:
                    held = list(self._held.items())
                if held:
                    try:
                        lost = await refresh(
                            keys=[self.names.running, *(self.names.lock(s) for s, _ in held)],
                            args=[
                                self.ttl_ms,
                                time.time() + self.ttl_ms / 1000,
                                *(part for pair in held for part in pair),
                            ],
                        )
                    except Exception as exc:  # Redis away: keep beating; locks may lapse
                        backoff.failed(exc)
                    else:
                        backoff.succeeded()
                        self._note_lost(lost, dict(held))
                delay = self.interval_s - (time.monotonic() - started)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=max(delay, 0.05))
        finally:
            await client.aclose()
            await pool.aclose()

    def _note_lost(self, lost: list[bytes | str], tokens: dict[str, str]) -> None:
        if not lost:
            return
        with self._mutex:
            for raw in lost:
                session_id = raw.decode() if isinstance(raw, bytes) else str(raw)
                # Only if still held under the token that was refreshed: released and
                # taken again meanwhile is not lost.
                if self._held.get(session_id) == tokens.get(session_id):
                    self.lost.add(session_id)
                    logger.warning(
                        "session lock lost to another worker", extra={"session_id": session_id}
                    )
