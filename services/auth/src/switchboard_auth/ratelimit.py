"""Brute-force protection: failed logins counted per account and per client address."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from switchboard.aio import resolved
from switchboard.names import RedisNames

__all__ = ("LoginLimiter", "Throttled")


class Throttled(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins; retry in {retry_after} s")
        self.retry_after = retry_after


@dataclass
class LoginLimiter:
    redis: Redis
    names: RedisNames
    max_failures: int
    window: int

    def _keys(self, account: str, address: str) -> list[str]:
        return [
            self.names.login_failures("account", account.lower()),
            self.names.login_failures("address", address),
        ]

    async def check(self, account: str, address: str) -> None:
        """Raise Throttled when either counter is at its limit."""
        for key in self._keys(account, address):
            count = await resolved(self.redis.get(key))
            if count is not None and int(count) >= self.max_failures:
                ttl = await resolved(self.redis.ttl(key))
                raise Throttled(max(int(ttl), 1))

    async def failed(self, account: str, address: str) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in self._keys(account, address):
                pipe.incr(key)
                pipe.expire(key, self.window, nx=True)
            await pipe.execute()

    async def succeeded(self, account: str) -> None:
        await self.redis.delete(self.names.login_failures("account", account.lower()))
