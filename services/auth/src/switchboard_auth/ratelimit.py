"""Brute-force protection: failed logins counted in Redis, per window.

Three counters, so that guessing one account's password from one address is
stopped quickly while the account's owner, from another address, can still
sign in:

- account and client address together: ``max_failures`` per window;
- one client address, any accounts: 5x that (credential stuffing);
- one account, any addresses: 10x that (a distributed attack).

The account-wide counter would let anyone with enough addresses lock the owner
out everywhere. So an address that signed in to the account successfully within
``remember`` seconds (30 days) neither counts towards nor is stopped by it; the
other two counters still apply there. Only places the owner has never signed in
from wait out a distributed attack.

IPv6 addresses are counted per /64, the block one subscriber usually holds:
counting single addresses would give an attacker 2^64 fresh ones.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from redis.asyncio import Redis

from switchboard.aio import resolved
from switchboard.names import RedisNames
from switchboard_auth.errors import Throttled

__all__ = ("REMEMBER_SECONDS", "LoginLimiter", "address_bucket")

REMEMBER_SECONDS = 30 * 86400


def address_bucket(address: str) -> str:
    """What a client address is counted as: itself, or its /64 for IPv6."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


@dataclass
class LoginLimiter:
    redis: Redis
    names: RedisNames
    max_failures: int
    window: int
    remember: int = REMEMBER_SECONDS

    @staticmethod
    def _keys(account: str, address: str) -> tuple[str, str]:
        return account.strip().lower(), address_bucket(address)

    async def _known(self, account: str, address: str) -> bool:
        return bool(await resolved(self.redis.exists(self.names.login_known(account, address))))

    def _limits(self, account: str, address: str, known: bool) -> list[tuple[str, int]]:
        limits = [
            (self.names.login_failures("pair", f"{account}|{address}"), self.max_failures),
            (self.names.login_failures("address", address), self.max_failures * 5),
        ]
        if not known:
            limits.append((self.names.login_failures("account", account), self.max_failures * 10))
        return limits

    async def check(self, account: str, address: str) -> None:
        """Raise Throttled when any counter that applies is at its limit."""
        account, address = self._keys(account, address)
        limits = self._limits(account, address, await self._known(account, address))
        counts = await resolved(self.redis.mget([key for key, _ in limits]))
        for (key, limit), count in zip(limits, counts, strict=True):
            if count is not None and int(count) >= limit:
                ttl = await resolved(self.redis.ttl(key))
                raise Throttled(max(int(ttl), 1))

    async def failed(self, account: str, address: str) -> None:
        account, address = self._keys(account, address)
        limits = self._limits(account, address, await self._known(account, address))
        async with self.redis.pipeline(transaction=False) as pipe:
            for key, _ in limits:
                pipe.incr(key)
                pipe.expire(key, self.window, nx=True)
            await pipe.execute()

    async def succeeded(self, account: str, address: str) -> None:
        """Clear this address's failures for the account, and remember the address."""
        account, address = self._keys(account, address)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.delete(self.names.login_failures("pair", f"{account}|{address}"))
            pipe.set(self.names.login_known(account, address), 1, ex=self.remember)
            await pipe.execute()
