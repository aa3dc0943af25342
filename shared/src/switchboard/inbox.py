"""Session inboxes and the job queue: what a worker is woken to run.

A session input goes to its session's inbox and queues an arq job (JSON,
never pickle) keyed by the input's id, so queueing is idempotent. A client
message is checked and queued in one script (:meth:`InboxWriter.accept_message`).
"""

from __future__ import annotations

import time
from typing import Any

import orjson
from arq.constants import job_key_prefix, result_key_prefix
from redis.asyncio import Redis
from redis.commands.core import AsyncScript

from switchboard.acceptance import Acceptance, Admission, MessageOffer
from switchboard.names import RedisNames
from switchboard.schema.jobs import SessionInput
from switchboard.stream_scripts import ACCEPT_MESSAGE, ENQUEUE_CALL, ENQUEUE_INPUT

__all__ = (
    "APP_CALL_FUNCTION",
    "JOB_EXPIRES_MS",
    "JOB_FUNCTION",
    "InboxWriter",
    "encode_job",
    "input_job_id",
)

JOB_FUNCTION = "run_session"
APP_CALL_FUNCTION = "run_app_call"
JOB_EXPIRES_MS = 3_600_000


def input_job_id(item: SessionInput) -> str:
    """The job of one session input; a resent input finds its job and is not queued twice.

    Scoped by session: input ids come from clients (a message's id), and arq's job
    keys are shared by every session, so one user's ids never collide with another's.
    """
    return f"{item.session_id}:{item.id}"


def encode_job(function: str, args: list[Any], enqueue_time_ms: int) -> bytes:
    """An arq job body in the JSON form our workers deserialize (never pickle)."""
    return orjson.dumps({"t": None, "f": function, "a": args, "k": {}, "et": enqueue_time_ms})


class InboxWriter:
    """The inbox and job-queue part of :class:`switchboard.streams.Streams`."""

    redis: Redis
    names: RedisNames
    session_ttl: int
    _enqueue_input: AsyncScript
    _enqueue_call: AsyncScript
    _accept_message: AsyncScript

    def _init_inbox(self) -> None:
        self._enqueue_input = self.redis.register_script(ENQUEUE_INPUT)
        self._enqueue_call = self.redis.register_script(ENQUEUE_CALL)
        self._accept_message = self.redis.register_script(ACCEPT_MESSAGE)

    async def admission(
        self, session_id: str, *, max_session_inputs: int, max_queue_depth: int
    ) -> Admission:
        """Check the limits before a client message has any effect.

        A check, not a reservation: concurrent senders may overshoot a limit
        by their number, which keeps every limit bounded without refusing an
        input after its side effects (thread creation, persistence) happened.
        """
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.llen(self.names.inbox(session_id))
            pipe.zcard(self.names.queue)
            waiting, depth = await pipe.execute()
        if max_session_inputs > 0 and int(waiting) >= max_session_inputs:
            return Admission.SESSION_FULL
        if max_queue_depth > 0 and int(depth) >= max_queue_depth:
            return Admission.OVERLOADED
        return Admission.OPEN

    async def enqueue(self, item: SessionInput) -> bool:
        """Put an input in its session's inbox and wake a worker; idempotent by event id."""
        now_ms = int(time.time() * 1000)
        job_id = input_job_id(item)
        keys = [
            self.names.inbox(item.session_id),
            job_key_prefix + job_id,
            self.names.queue,
        ]
        args: list[str | bytes | int] = [
            item.model_dump_json(),
            encode_job(JOB_FUNCTION, [item.session_id], now_ms),
            job_id,
            now_ms,
            self.session_ttl,
            self.names.queue_wake,
            JOB_EXPIRES_MS,
        ]
        return bool(await self._enqueue_input(keys=keys, args=args))

    async def accept_message(self, offer: MessageOffer) -> Acceptance:
        """Check a client message against the session and the limits and, if it may
        go on, record the first interaction, persist its step and queue it: one script,
        one round trip, nothing half-done."""
        item = offer.later_input
        sid = item.session_id
        now_ms = int(time.time() * 1000)
        keys = [
            self.names.session(sid),
            self.names.deferred(sid),
            self.names.persist_stream,
            self.names.inbox(sid),
            job_key_prefix + input_job_id(item),
            self.names.queue,
            offer.rate_key,
        ]
        args: list[str | bytes | int] = [
            offer.thread_id,
            offer.rate_limit,
            offer.max_session_inputs,
            offer.max_queue_depth,
            offer.thread.model_dump_json(),
            offer.step.model_dump_json(),
            offer.first_input.model_dump_json(),
            item.model_dump_json(),
            encode_job(JOB_FUNCTION, [sid], now_ms),
            input_job_id(item),
            now_ms,
            self.session_ttl,
            self.names.queue_wake,
            JOB_EXPIRES_MS,
        ]
        outcome = await self._accept_message(keys=keys, args=args)
        return Acceptance(outcome.decode() if isinstance(outcome, bytes) else str(outcome))

    async def enqueue_call(self, function: str, job_id: str, argument: str) -> bool:
        """Queue a job that is not a session input (an app call, a rescue drain)."""
        now_ms = int(time.time() * 1000)
        keys = [job_key_prefix + job_id, self.names.queue]
        args: list[str | bytes | int] = [
            encode_job(function, [argument], now_ms),
            job_id,
            now_ms,
            self.names.queue_wake,
            JOB_EXPIRES_MS,
        ]
        return bool(await self._enqueue_call(keys=keys, args=args))

    async def job_known(self, job_id: str) -> bool:
        return bool(await self.redis.exists(job_key_prefix + job_id, result_key_prefix + job_id))
