"""Hold a Redis pub/sub subscription for the life of a service.

Reconnects with capped exponential backoff when Redis goes away, logs each
loss once, and keeps one failing message from ending the subscription.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis

__all__ = ("subscribe_forever",)

logger = logging.getLogger(__name__)

_MAX_BACKOFF_S = 30.0


async def subscribe_forever(
    redis: Redis, channel: str, handle: Callable[[bytes], Awaitable[None]]
) -> None:
    backoff = 0.5
    while True:
        pubsub = redis.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(channel)
            if backoff > 0.5:
                logger.info("subscription restored", extra={"channel": channel})
            backoff = 0.5
            async for message in pubsub.listen():
                try:
                    await handle(message["data"])
                except asyncio.CancelledError:
                    raise
                except Exception:
                    logger.exception("pub/sub handler failed", extra={"channel": channel})
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # connection-level failure: retry with capped backoff
            logger.warning(
                "subscription lost, reconnecting",
                extra={"channel": channel, "error": repr(exc), "retry_in_s": backoff},
            )
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, _MAX_BACKOFF_S)
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()  # type: ignore[no-untyped-call]
