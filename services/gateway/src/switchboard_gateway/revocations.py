"""Hear logouts from any auth replica and drop the sockets of revoked tokens."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis

__all__ = ("listen_revocations",)

logger = logging.getLogger(__name__)

_MAX_BACKOFF_S = 30.0


async def listen_revocations(
    redis: Redis, channel: str, revoke: Callable[[str], Awaitable[int]]
) -> None:
    backoff = 0.5
    while True:
        pubsub = redis.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(channel)
            backoff = 0.5
            async for message in pubsub.listen():
                token_id = message["data"].decode()
                dropped = await revoke(token_id)
                if dropped:
                    logger.info("sockets of a revoked token dropped", extra={"sockets": dropped})
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # connection-level failure: retry with capped backoff
            logger.warning(
                "revocation channel lost, reconnecting",
                extra={"error": repr(exc), "retry_in_s": backoff},
            )
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, _MAX_BACKOFF_S)
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()  # type: ignore[no-untyped-call]
