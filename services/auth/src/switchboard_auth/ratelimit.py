"""Brute-force protection: failed logins counted in Redis, per window.

Three counters, so that guessing one account's password from one address is
stopped quickly while the account's owner, from another address, can still
sign in:

- account and client address together: ``max_failures`` per window;
- one client address, any accounts: 5x that (credential stuffing);
- one account, any addresses: 10x that (a distributed attack).
"""

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

    def _limits(self, account: str, address: str) -> list[tuple[str, int]]:
        account = account.strip().lower()
        return [
            (self.names.login_failures("pair", f"{account}|{address}"), self.max_failures),
            (self.names.login_failures("address", address), self.max_failures * 5),
            (self.names.login_failures("account", account), self.max_failures * 10),
        ]

    async def check(self, account: str, address: str) -> None:
        """Raise Throttled when any counter is at its limit."""
        limits = self._limits(account, address)
        counts = await resolved(self.redis.mget([key for key, _ in limits]))
        for (key, limit), count in zip(limits, counts, strict=True):
            if count is not None and int(count) >= limit:
                ttl = await resolved(self.redis.ttl(key))
                raise Throttled(max(int(ttl), 1))

    async def failed(self, account: str, address: str) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            for key, _ in self._limits(account, address):
                pipe.incr(key)
                pipe.expire(key, self.window, nx=True)
            await pipe.execute()

    async def succeeded(self, account: str, address: str) -> None:
        pair, _, _ = self._limits(account, address)
        await self.redis.delete(pair[0])
