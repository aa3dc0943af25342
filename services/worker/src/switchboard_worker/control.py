"""Listen on the control channel every worker hears (stop requests)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from pydantic import ValidationError
from redis.asyncio import Redis

from switchboard.schema.control import control_adapter
from switchboard_worker.tasks import SessionDrainer

__all__ = ("listen_control",)

logger = logging.getLogger(__name__)

_MAX_BACKOFF_S = 30.0


async def listen_control(redis: Redis, channel: str, drainer: SessionDrainer) -> None:
    backoff = 0.5
    handlers: set[asyncio.Task[None]] = set()
    while True:
        pubsub = redis.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(channel)
            backoff = 0.5
            async for message in pubsub.listen():
                try:
                    request = control_adapter.validate_json(message["data"])
                except ValidationError:
                    logger.warning("malformed control message ignored")
                    continue
                # Handle each on its own task: a stop may drain a session's inbox.
                task = asyncio.create_task(drainer.on_stop(request))
                handlers.add(task)
                task.add_done_callback(handlers.discard)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # connection-level failure: retry with capped backoff
            logger.warning(
                "control channel lost, reconnecting",
                extra={"error": repr(exc), "retry_in_s": backoff},
            )
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, _MAX_BACKOFF_S)
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()  # type: ignore[no-untyped-call]
