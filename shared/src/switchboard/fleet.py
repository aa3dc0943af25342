"""Worker heartbeats: one key per worker, and the fleet view built from them.

Each worker sets its own key (:meth:`RedisNames.worker_beat`) every
``interval`` seconds with a TTL of a few intervals, and indexes it in a sorted
set (:attr:`RedisNames.workers`) scored with the time the beat lapses. A worker
that stops gracefully deletes only its own key; one that dies stops beating and
its key expires. A worker is alive exactly while its key exists, so readers
(readiness probes, ``switchboard queues``, the exporter) never trust the index
alone, and the index never needs a reader to clean it.

Times come from the Redis server's clock, so workers with skewed clocks cannot
expire each other's entries.
"""

from __future__ import annotations

import secrets
import socket
from dataclasses import asdict, dataclass, field
from typing import Any, cast

import orjson
import redis
import redis.asyncio as aioredis
from redis.commands.core import AsyncScript

from switchboard.names import RedisNames

__all__ = (
    "BEAT_MISSES",
    "Heartbeat",
    "WorkerBeat",
    "default_worker_id",
    "live_workers",
    "worker_alive",
)

# A beat lives this many intervals: one late beat never makes a worker look dead.
BEAT_MISSES = 3

# KEYS: index, the worker's key. ARGV: worker id, beat json, ttl ms.
# The index keeps its own TTL (the longest of its writers'), so a fleet that is
# gone entirely leaves nothing behind; entries that lapsed are dropped.
_BEAT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[3])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ttl)
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('PTTL', KEYS[1]) < ttl then
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return now
"""


@dataclass(frozen=True, slots=True)
class WorkerBeat:
    """What a worker says about itself at each beat."""

    id: str
    host: str
    pid: int
    # Seconds between beats; the key lives BEAT_MISSES times as long.
    interval_s: float
    jobs_running: int = 0
    jobs_complete: int = 0
    jobs_failed: int = 0
    jobs_retried: int = 0
    max_jobs: int = 0
    # True once it was asked to stop: it finishes what it runs and takes nothing new.
    draining: bool = False
    # Set by readers: seconds since the beat, and until the key lapses (server clock).
    age_s: float | None = field(default=None, compare=False)
    ttl_s: float | None = field(default=None, compare=False)

    @property
    def ttl_ms(self) -> int:
        return int(self.interval_s * BEAT_MISSES * 1000)

    def to_json(self) -> bytes:
        data = asdict(self)
        del data["age_s"], data["ttl_s"]
        return orjson.dumps(data)

    @classmethod
    def from_json(cls, raw: bytes | str, pttl_ms: int | None = None) -> WorkerBeat:
        data: dict[str, Any] = orjson.loads(raw)
        known = {name for name in cls.__dataclass_fields__ if name not in ("age_s", "ttl_s")}
        beat = cls(**{key: value for key, value in data.items() if key in known})
        if pttl_ms is None or pttl_ms < 0:
            return beat
        ttl_s = pttl_ms / 1000
        age_s = max(beat.ttl_ms / 1000 - ttl_s, 0.0)
        return cls(**{**asdict(beat), "age_s": round(age_s, 3), "ttl_s": round(ttl_s, 3)})


def default_worker_id(pid: int) -> str:
    """Unique per process: the host (a pod's or container's name), the pid, a random tag."""
    return f"{socket.gethostname()}-{pid}-{secrets.token_hex(3)}"


class Heartbeat:
    """A worker's side of the fleet: beat, and leave it."""

    def __init__(self, client: aioredis.Redis, names: RedisNames) -> None:
        self.client = client
        self.names = names
        self._beat: AsyncScript = client.register_script(_BEAT)

    async def beat(self, beat: WorkerBeat) -> None:
        """Set the worker's key for another ``BEAT_MISSES`` intervals, and index it."""
        keys = [self.names.workers, self.names.worker_beat(beat.id)]
        await self._beat(keys=keys, args=[beat.id, beat.to_json(), beat.ttl_ms])

    async def forget(self, worker_id: str) -> None:
        """A graceful stop: this worker's key and index entry go, nobody else's."""
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.delete(self.names.worker_beat(worker_id))
            pipe.zrem(self.names.workers, worker_id)
            await pipe.execute()


def live_workers(client: redis.Redis, names: RedisNames) -> list[WorkerBeat]:
    """The workers whose heartbeat key exists, most recent beat first."""
    ids = [_text(worker_id) for worker_id in cast(list[bytes], client.zrange(names.workers, 0, -1))]
    if not ids:
        return []
    with client.pipeline(transaction=False) as pipe:
        for worker_id in ids:
            pipe.get(names.worker_beat(worker_id))
            pipe.pttl(names.worker_beat(worker_id))
        replies = pipe.execute()
    beats: list[WorkerBeat] = []
    for raw, pttl in zip(replies[::2], replies[1::2], strict=True):
        if raw is None:
            continue
        try:
            beats.append(WorkerBeat.from_json(raw, pttl))
        except (ValueError, TypeError):  # written by an incompatible version: not counted
            continue
    return sorted(beats, key=lambda beat: (beat.age_s or 0.0, beat.id))


def worker_alive(client: redis.Redis, names: RedisNames, worker_id: str) -> bool:
    """Whether one worker's heartbeat key exists (it beat within its TTL)."""
    return bool(client.exists(names.worker_beat(worker_id)))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
