"""The answer to a REST call that a worker carries out (an action, an MCP connect).

The gateway queues a session input naming a reply id and waits on that id's list;
the worker that runs the input pushes one :class:`Reply` there. Both sides use this
module so the key, its expiry and the encoding are spelled once.
"""

from __future__ import annotations

from redis.asyncio import Redis

from switchboard.aio import resolved
from switchboard.names import RedisNames
from switchboard.schema.jobs import Reply

__all__ = ("REPLY_TTL_S", "await_reply", "send_reply")

# A reply nobody waits for any more is dropped after this long.
REPLY_TTL_S = 120


async def send_reply(
    redis: Redis, names: RedisNames, session_id: str, reply_id: str, reply: Reply
) -> None:
    key = names.reply(session_id, reply_id)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.rpush(key, reply.model_dump_json())
        pipe.expire(key, REPLY_TTL_S)
        await pipe.execute()


async def await_reply(
    redis: Redis, names: RedisNames, session_id: str, reply_id: str, timeout: float
) -> Reply | None:
    """The worker's reply, or None when none came within ``timeout`` seconds."""
    key = names.reply(session_id, reply_id)
    answer = await resolved(redis.blpop([key], timeout=max(1, round(timeout))))
    return None if answer is None else Reply.model_validate_json(answer[1])
