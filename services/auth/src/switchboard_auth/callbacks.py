"""Ask a worker to run one of the app's auth callbacks and wait for its verdict."""

from __future__ import annotations

import logging

from switchboard.aio import resolved
from switchboard.schema.auth import AuthCall, AuthReply
from switchboard.schema.session import UserRef
from switchboard.streams import AUTH_FUNCTION, Streams

__all__ = ("CallbackUnavailable", "run_callback")

logger = logging.getLogger(__name__)


class CallbackUnavailable(Exception):
    """No worker answered in time."""


async def run_callback(streams: Streams, call: AuthCall, timeout: float) -> UserRef | None:
    await streams.enqueue_call(AUTH_FUNCTION, call.id, call.model_dump_json())
    key = streams.names.auth_reply(call.id)
    result = await resolved(streams.redis.blpop([key], timeout=max(1, round(timeout))))
    if result is None:
        logger.warning("auth callback timed out", extra={"kind": call.kind})
        raise CallbackUnavailable(f"{call.kind} callback did not answer in {timeout:.0f} s")
    reply = AuthReply.model_validate_json(result[1])
    return reply.user
