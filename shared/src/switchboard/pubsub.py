"""Hold a Redis pub/sub subscription for the life of a service.

Reconnects with capped exponential backoff when Redis goes away, logs the
loss and the return once each (:mod:`switchboard.reconnect`), and keeps one
failing message from ending the subscription.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis

from switchboard.reconnect import RedisBackoff

__all__ = ("subscribe_forever",)

logger = logging.getLogger(__name__)


async def subscribe_forever(
    redis: Redis,
    channel: str,
    handle: Callable[[bytes], Awaitable[None]],
    *,
    on_restored: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Call ``handle`` with each message on ``channel`` until cancelled.

    ``on_restored`` runs after the subscription is back from an outage:
    messages published meanwhile were lost, and the caller may want to catch up.
    """
    backoff = RedisBackoff(f"subscription {channel}", logger)
    while True:
        pubsub = redis.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(channel)
            if backoff.succeeded() and on_restored is not None:
                await on_restored()
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
            await backoff.wait(exc)
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()  # type: ignore[no-untyped-call]
