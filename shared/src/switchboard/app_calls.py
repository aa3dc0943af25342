"""Ask a worker to run an app callback outside any session, and wait for the reply."""

from __future__ import annotations

import logging

from switchboard.aio import resolved
from switchboard.schema.app_calls import AppCall, AppCallReply
from switchboard.streams import APP_CALL_FUNCTION, Streams

__all__ = ("AppCallTimeout", "call_app")

logger = logging.getLogger(__name__)


class AppCallTimeout(Exception):
    """No worker answered in time (none running, or the callback is too slow)."""


async def call_app(streams: Streams, call: AppCall, timeout: float) -> AppCallReply:
    await streams.enqueue_call(APP_CALL_FUNCTION, call.id, call.model_dump_json())
    key = streams.names.call_reply(call.id)
    result = await resolved(streams.redis.blpop([key], timeout=max(1, round(timeout))))
    if result is None:
        logger.warning("app call timed out", extra={"kind": call.kind})
        raise AppCallTimeout(f"{call.kind} callback did not answer in {timeout:.0f} s")
    return AppCallReply.model_validate_json(result[1])
