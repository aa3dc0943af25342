"""Hear logouts from any auth replica and drop the sockets of revoked tokens."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis

from switchboard.pubsub import subscribe_forever

__all__ = ("listen_revocations",)

logger = logging.getLogger(__name__)


async def listen_revocations(
    redis: Redis, channel: str, revoke: Callable[[str], Awaitable[int]]
) -> None:
    async def handle(data: bytes) -> None:
        dropped = await revoke(data.decode())
        if dropped:
            logger.info("sockets of a revoked token dropped", extra={"sockets": dropped})

    await subscribe_forever(redis, channel, handle)
