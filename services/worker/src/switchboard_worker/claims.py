"""Claiming queued arq jobs, a whole poll's worth in one round trip.

arq claims the jobs of a poll one at a time (``WATCH``, ``EXISTS``, ``ZSCORE``,
``MULTI``/``PSETEX``/``EXEC``), and a poll lists every job still in the queue,
running ones included. With a few hundred sessions busy, a worker's loop spent
seconds re-checking running jobs while a new message waited behind them: the
first-token tail of a loaded worker. One script checks and claims them all at once.

Affinity: a session whose MCP servers another live, non-draining worker holds
(``RedisNames.mcp_holder``) is left to that worker for ``affinity_ms`` after its
job was queued; past that anyone takes it and the servers move with the session.
"""

from __future__ import annotations

from redis.asyncio import Redis

from switchboard.names import RedisNames

__all__ = ("AFFINITY_MS", "JobClaims")

# KEYS: queue, then the in-progress key of each job. ARGV: in-progress ttl ms, now ms,
# most jobs to claim, this worker's id, affinity ms, the MCP holder key's text before and
# after the session id, the heartbeat key's text before the worker id, then each job id
# (a session input's job id starts with its session id and a colon). Returns the claimed
# job ids and scores, flattened.
_CLAIM = """
local claimed = {}
local now = tonumber(ARGV[2])
local limit = tonumber(ARGV[3]) * 2
local me = ARGV[4]
local affinity = tonumber(ARGV[5])
local function held_elsewhere(job_id, score)
  local colon = string.find(job_id, ':', 1, true)
  if not colon or now - tonumber(score) >= affinity then
    return false
  end
  local holder = redis.call('GET', ARGV[6] .. string.sub(job_id, 1, colon - 1) .. ARGV[7])
  if not holder or holder == me then
    return false
  end
  local beat = redis.call('GET', ARGV[8] .. holder)
  if not beat then
    return false
  end
  local ok, data = pcall(cjson.decode, beat)
  return not (ok and type(data) == 'table' and data['draining'] == true)
end
for i = 2, #KEYS do
  if #claimed >= limit then
    break
  end
  local job_id = ARGV[i + 7]
  if redis.call('EXISTS', KEYS[i]) == 0 then
    local score = redis.call('ZSCORE', KEYS[1], job_id)
    if score and tonumber(score) <= now and not held_elsewhere(job_id, score) then
      redis.call('PSETEX', KEYS[i], ARGV[1], '1')
      claimed[#claimed + 1] = job_id
      claimed[#claimed + 1] = score
    end
  end
end
return claimed
"""
# How long a job waits for the worker holding its session's MCP servers.
AFFINITY_MS = 2_000


class JobClaims:
    """Claims of one queue's jobs for one worker."""

    def __init__(
        self,
        redis: Redis,
        queue: str,
        in_progress_prefix: str,
        names: RedisNames | None = None,
        worker_id: str = "",
        affinity_ms: int = AFFINITY_MS,
    ) -> None:
        self._queue = queue
        self._prefix = in_progress_prefix
        self._claim = redis.register_script(_CLAIM)
        names = names or RedisNames()
        # Key texts around the ids, from names.py (the one place keys are spelled).
        holder_before, holder_after = names.mcp_holder("\0").split("\0")
        beat_before = names.worker_beat("\0").split("\0")[0]
        self._affinity: list[str | int] = [
            worker_id,
            affinity_ms if worker_id else 0,
            holder_before,
            holder_after,
            beat_before,
        ]

    async def claim(
        self, job_ids: list[str], limit: int, ttl_ms: int, now_ms: int
    ) -> list[tuple[str, int]]:
        """Up to ``limit`` jobs of ``job_ids`` now this worker's, in the order given:
        due, and not running anywhere (a listed job may be one that is running)."""
        if not job_ids or limit <= 0:
            return []
        keys = [self._queue, *(self._prefix + job_id for job_id in job_ids)]
        flat = await self._claim(keys=keys, args=[ttl_ms, now_ms, limit, *self._affinity, *job_ids])
        pairs = zip(flat[::2], flat[1::2], strict=True)
        return [(_text(job_id), int(float(_text(score)))) for job_id, score in pairs]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
