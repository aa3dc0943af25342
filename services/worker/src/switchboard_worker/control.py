"""Listen on the control channel every worker hears (stops, MCP releases)."""

from __future__ import annotations

import asyncio
import logging

from pydantic import ValidationError
from redis.asyncio import Redis

from switchboard.pubsub import subscribe_forever
from switchboard.schema.control import McpRelease, control_adapter
from switchboard_worker.tasks import SessionDrainer

__all__ = ("listen_control",)

logger = logging.getLogger(__name__)


async def listen_control(redis: Redis, channel: str, drainer: SessionDrainer) -> None:
    handlers: set[asyncio.Task[None]] = set()

    async def handle(data: bytes) -> None:
        try:
            request = control_adapter.validate_json(data)
        except ValidationError:
            logger.warning("malformed control message ignored")
            return
        # Each on its own task: handling a stop may drain a session's inbox.
        if isinstance(request, McpRelease):
            task = asyncio.create_task(drainer.runner.mcp_release(request))
        else:
            task = asyncio.create_task(drainer.on_stop(request))
        handlers.add(task)
        task.add_done_callback(handlers.discard)

    await subscribe_forever(redis, channel, handle)
