"""Ride out a Redis outage: capped exponential backoff, one log line each way.

Every long-running loop that talks to Redis (relay reads, the reaper, the
worker's poll, pub/sub subscriptions) reports through :class:`RedisBackoff`:
the first failure logs ``redis unavailable`` with what failed, retries back
off up to a cap, and the first success afterwards logs ``redis available
again`` with how long it was down. redis-py reconnects a dropped connection
on its next command, so retrying the loop's work is the whole reconnect.

A service without such a loop runs :func:`watch_redis`, so its log shows the
outage and the return too.
"""

from __future__ import annotations

import asyncio
import logging
import time

from redis.asyncio import Redis

__all__ = ("MAX_BACKOFF_S", "RedisBackoff", "watch_redis")

MAX_BACKOFF_S = 5.0
_INITIAL_S = 0.1


class RedisBackoff:
    """Backoff and outage logging for one loop (``component`` names it in the logs)."""

    def __init__(
        self,
        component: str,
        logger: logging.Logger,
        *,
        initial: float = _INITIAL_S,
        cap: float = MAX_BACKOFF_S,
    ) -> None:
        self.component = component
        self.logger = logger
        self.initial = initial
        self.cap = cap
        self.delay = initial
        self.down_since: float | None = None
        self.failures = 0

    @property
    def failing(self) -> bool:
        return self.down_since is not None

    def failed(self, exc: BaseException) -> float:
        """Note a failure; returns how long to wait before the next try."""
        if self.down_since is None:
            self.down_since = time.monotonic()
            self.logger.warning(
                "redis unavailable",
                extra={"component": self.component, "error": repr(exc)[:500]},
            )
        self.failures += 1
        delay = self.delay
        self.delay = min(self.delay * 2, self.cap)
        return delay

    async def wait(self, exc: BaseException) -> None:
        await asyncio.sleep(self.failed(exc))

    def succeeded(self) -> bool:
        """Note a success; True when it ends an outage."""
        if self.down_since is None:
            return False
        self.logger.info(
            "redis available again",
            extra={
                "component": self.component,
                "down_s": round(time.monotonic() - self.down_since, 3),
                "failures": self.failures,
            },
        )
        self.down_since = None
        self.failures = 0
        self.delay = self.initial
        return True


async def watch_redis(redis: Redis, component: str, interval: float = 1.0) -> None:
    """Ping every ``interval`` seconds and log outages and recoveries, until cancelled."""
    logger = logging.getLogger("switchboard.reconnect")
    backoff = RedisBackoff(component, logger, initial=min(interval, _INITIAL_S * 2), cap=interval)
    while True:
        try:
            await redis.ping()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # any failure to reach Redis: report it, try again
            await backoff.wait(exc)
            continue
        backoff.succeeded()
        await asyncio.sleep(interval)
