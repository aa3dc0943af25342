"""Claiming queued arq jobs, a whole poll's worth in one round trip.

arq claims the jobs of a poll one at a time (``WATCH``, ``EXISTS``, ``ZSCORE``,
``MULTI``/``PSETEX``/``EXEC``), and a poll lists every job still in the queue,
running ones included. With a few hundred sessions busy, a worker's loop spent
seconds re-checking running jobs while a new message waited behind them: the
first-token tail of a loaded worker. One script checks and claims them all at once.
"""

from __future__ import annotations

from redis.asyncio import Redis

__all__ = ("JobClaims",)

# KEYS: queue, then the in-progress key of each job. ARGV: in-progress ttl ms, now ms,
# most jobs to claim, then each job id. Returns the claimed job ids and scores, flattened.
_CLAIM = """
local claimed = {}
local now = tonumber(ARGV[2])
local limit = tonumber(ARGV[3]) * 2
for i = 2, #KEYS do
  if #claimed >= limit then
    break
  end
  local job_id = ARGV[i + 2]
  if redis.call('EXISTS', KEYS[i]) == 0 then
    local score = redis.call('ZSCORE', KEYS[1], job_id)
    if score and tonumber(score) <= now then
      redis.call('PSETEX', KEYS[i], ARGV[1], '1')
      claimed[#claimed + 1] = job_id
      claimed[#claimed + 1] = score
    end
  end
end
return claimed
"""


class JobClaims:
    """Claims of one queue's jobs for one worker."""

    def __init__(self, redis: Redis, queue: str, in_progress_prefix: str) -> None:
        self._queue = queue
        self._prefix = in_progress_prefix
        self._claim = redis.register_script(_CLAIM)

    async def claim(
        self, job_ids: list[str], limit: int, ttl_ms: int, now_ms: int
    ) -> list[tuple[str, int]]:
        """Up to ``limit`` jobs of ``job_ids`` now this worker's, in the order given:
        due, and not running anywhere (a listed job may be one that is running)."""
        if not job_ids or limit <= 0:
            return []
        keys = [self._queue, *(self._prefix + job_id for job_id in job_ids)]
        flat = await self._claim(keys=keys, args=[ttl_ms, now_ms, limit, *job_ids])
        pairs = zip(flat[::2], flat[1::2], strict=True)
        return [(_text(job_id), int(float(_text(score)))) for job_id, score in pairs]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
