"""Hear revocations from any auth replica or the users CLI, and drop the sockets they end.

A message names one token (logout) or one user (password change, removal,
role change: every socket of that user).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis

from switchboard.pubsub import subscribe_forever
from switchboard.tokens import parse_revocation

__all__ = ("listen_revocations",)

logger = logging.getLogger(__name__)


async def listen_revocations(
    redis: Redis,
    channel: str,
    revoke: Callable[[str], Awaitable[int]],
    revoke_user: Callable[[str], Awaitable[int]],
) -> None:
    async def handle(data: bytes) -> None:
        kind, name = parse_revocation(data.decode())
        dropped = await (revoke_user(name) if kind == "user" else revoke(name))
        if dropped:
            logger.info(f"sockets of a revoked {kind} dropped", extra={"sockets": dropped})

    await subscribe_forever(redis, channel, handle)
