"""Users' credential versions, cached in Redis for every gateway to check tokens against.

The auth database is the truth. A change (new password, new metadata, removal)
is written there first, then over the cache, then announced so gateways drop
the user's open sockets. A cache miss (expiry, Redis restart) is filled from
the database with SET NX, so a fill that read an older version never
overwrites the write of a change that committed after it.
"""

from __future__ import annotations

from redis.asyncio import Redis

from switchboard.aio import resolved
from switchboard.names import RedisNames
from switchboard.tokens import (
    CREDENTIALS_CACHE_TTL,
    NO_SUCH_USER,
    DecodedToken,
    credentials_current,
    user_revocation,
)
from switchboard_auth.users import UserStore

__all__ = ("Credentials",)


class Credentials:
    def __init__(self, redis: Redis, names: RedisNames, users: UserStore) -> None:
        self.redis = redis
        self.names = names
        self.users = users

    async def current(self, identifier: str) -> str | None:
        """The user's credential version, None when no such user exists."""
        key = self.names.user_credentials(identifier)
        cached = await resolved(self.redis.get(key))
        if cached is None:
            version = await self.users.credential_version(identifier)
            await self.redis.set(key, version or NO_SUCH_USER, ex=CREDENTIALS_CACHE_TTL, nx=True)
            return version
        text = cached.decode() if isinstance(cached, bytes) else str(cached)
        return None if text == NO_SUCH_USER else text

    async def accepts(self, decoded: DecodedToken) -> bool:
        """Whether the token names an existing user and its present credentials."""
        return credentials_current(decoded, await self.current(decoded.user.identifier))

    async def changed(self, identifier: str, version: str | None, *, revoke: bool) -> None:
        """Record a committed change (None: removed); ``revoke`` drops the user's sockets."""
        key = self.names.user_credentials(identifier)
        await self.redis.set(key, version or NO_SUCH_USER, ex=CREDENTIALS_CACHE_TTL)
        if revoke:
            await self.redis.publish(self.names.revocations, user_revocation(identifier))
