"""Redis operations every service shares: UI streams, persistence, the inbox.

The multi-key operations are Lua scripts so that concurrent producers (a
worker deferring a step while a gateway marks the first interaction) can
never interleave and strand an event.
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass
from typing import Any

import orjson
from arq.constants import job_key_prefix, result_key_prefix
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from switchboard.names import RedisNames
from switchboard.schema.envelope import Envelope
from switchboard.schema.jobs import SessionInput
from switchboard.schema.persist import ThreadUpsert, ThreadUpsertPayload
from switchboard.schema.session import SessionRecord
from switchboard.session_state import SessionField

__all__ = (
    "APP_CALL_FUNCTION",
    "JOB_FUNCTION",
    "UI_STREAM_MAXLEN",
    "Acceptance",
    "Admission",
    "MessageOffer",
    "Streams",
    "encode_job",
    "thread_created",
)

JOB_FUNCTION = "run_session"
APP_CALL_FUNCTION = "run_app_call"
THREAD_NAME_MAX = 255
# A reconnecting client can replay at most this many events of its session.
UI_STREAM_MAXLEN = 10_000
# Events older than the disconnect grace plus this are trimmed: a client that can still
# resume its session left less than the grace ago, and saw everything before it left.
# The margin covers clocks of writers and Redis that disagree a little.
REPLAY_MARGIN_S = 300.0
# Session data outlives the disconnect grace by this much, as a safety net.
SESSION_TTL_MARGIN = 3600
# A UI stream's expiry and replay trim are refreshed at most this often per stream (and
# four times per replay window when that is shorter): an XADD alone per event otherwise.
MAINTAIN_EVERY_S = 30.0
# Beyond this many streams remembered, entries older than the refresh period are dropped.
_MAINTAINED_MAX = 50_000
JOB_EXPIRES_MS = 3_600_000
# Sessions remembered as interacted by one process, at most.
_INTERACTED_MAX = 50_000

# KEYS: session hash, deferred list, persist stream. ARGV: event json, ttl seconds.
_PERSIST_OR_DEFER = f"""
if redis.call('HGET', KEYS[1], '{SessionField.INTERACTED}') == '1' then
  redis.call('XADD', KEYS[3], '*', 'e', ARGV[1])
  return 1
end
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[2])
return 0
"""

# KEYS: session hash, deferred list, persist stream. ARGV: thread upsert json.
# Returns 1 when this call made the first interaction.
_FIRST_INTERACTION = f"""
if redis.call('HSETNX', KEYS[1], '{SessionField.INTERACTED}', '1') == 0 then
  return 0
end
redis.call('XADD', KEYS[3], '*', 'e', ARGV[1])
local pending = redis.call('LRANGE', KEYS[2], 0, -1)
for _, item in ipairs(pending) do
  redis.call('XADD', KEYS[3], '*', 'e', item)
end
redis.call('DEL', KEYS[2])
return 1
"""

# KEYS: inbox, job key, queue.
# ARGV: input json, job json, job id, score, ttl, wake channel, job expiry ms.
_ENQUEUE_INPUT = """
if redis.call('EXISTS', KEYS[2]) == 1 then
  return 0
end
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[7])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[3])
redis.call('PUBLISH', ARGV[6], ARGV[3])
return 1
"""


# KEYS: job key, queue. ARGV: job json, job id, score, wake channel, job expiry ms.
_ENQUEUE_CALL = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[5])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
redis.call('PUBLISH', ARGV[4], ARGV[2])
return 1
"""


# One client message taken in one round trip: checks, first interaction, its step's
# persistence and its place in the session's inbox, all or nothing.
# KEYS: session hash, deferred list, persist stream, inbox, job key, queue, rate key.
# ARGV: thread id the sender holds, rate limit (0: none), max inputs waiting (0: none),
#       max queue depth (0: none), thread upsert json, step upsert json,
#       input json (first interaction), input json (later), job json, job id, score,
#       ttl, wake channel, job expiry ms.
_ACCEPT_MESSAGE = f"""
local record = redis.call('HGET', KEYS[1], '{SessionField.RECORD}')
if not record then
  return 'gone'
end
if cjson.decode(record)['thread_id'] ~= ARGV[1] then
  return 'moved'
end
if redis.call('EXISTS', KEYS[5]) == 1 then
  return 'duplicate'
end
local limit = tonumber(ARGV[2])
if limit > 0 then
  local count = redis.call('INCR', KEYS[7])
  if count == 1 then
    redis.call('EXPIRE', KEYS[7], 120)
  end
  if count > limit then
    return 'rate_limited'
  end
end
local max_inputs = tonumber(ARGV[3])
if max_inputs > 0 and redis.call('LLEN', KEYS[4]) >= max_inputs then
  return 'session_full'
end
local max_depth = tonumber(ARGV[4])
if max_depth > 0 and redis.call('ZCARD', KEYS[6]) >= max_depth then
  return 'overloaded'
end
local first = redis.call('HSETNX', KEYS[1], '{SessionField.INTERACTED}', '1') == 1
if first then
  redis.call('XADD', KEYS[3], '*', 'e', ARGV[5])
  local pending = redis.call('LRANGE', KEYS[2], 0, -1)
  for _, item in ipairs(pending) do
    redis.call('XADD', KEYS[3], '*', 'e', item)
  end
  redis.call('DEL', KEYS[2])
end
redis.call('XADD', KEYS[3], '*', 'e', ARGV[6])
redis.call('RPUSH', KEYS[4], first and ARGV[7] or ARGV[8])
redis.call('EXPIRE', KEYS[4], ARGV[12])
redis.call('SET', KEYS[5], ARGV[9], 'PX', ARGV[14])
redis.call('ZADD', KEYS[6], ARGV[11], ARGV[10])
redis.call('PUBLISH', ARGV[13], ARGV[10])
if first then
  return 'first'
end
return 'accepted'
"""


class Acceptance(enum.Enum):
    """What became of a client message offered with ``Streams.accept_message``."""

    FIRST = "first"  # queued, and it was the session's first interaction
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"  # a message with this id is already queued or done
    GONE = "gone"  # the session has ended
    MOVED = "moved"  # the session now writes to another thread: re-read it
    RATE_LIMITED = "rate_limited"
    SESSION_FULL = "session_full"
    OVERLOADED = "overloaded"


@dataclass(frozen=True, slots=True)
class MessageOffer:
    """A client message and everything it writes once accepted."""

    thread_id: str
    thread: ThreadUpsert
    step: Envelope
    # The input as queued when it is the first interaction, and otherwise.
    first_input: SessionInput
    later_input: SessionInput
    # The sender's per-minute counter, and its limit (0: none).
    rate_key: str
    rate_limit: int
    max_session_inputs: int
    max_queue_depth: int


class Admission(enum.Enum):
    """Whether a client message may be queued now."""

    OPEN = "open"
    SESSION_FULL = "session_full"
    OVERLOADED = "overloaded"


def thread_created(session: SessionRecord, interaction: str, *, auto_tag: bool) -> ThreadUpsert:
    """The thread upsert that a session's first interaction writes (Chainlit's init_thread)."""
    tags = [session.chat_profile] if auto_tag and session.chat_profile else None
    return ThreadUpsert(
        session_id=session.id,
        thread_id=session.thread_id,
        payload=ThreadUpsertPayload(
            name=interaction[:THREAD_NAME_MAX],
            user_id=session.user.id if session.user else None,
            user_identifier=session.owner,
            tags=tags,
        ),
    )


def encode_job(function: str, args: list[Any], enqueue_time_ms: int) -> bytes:
    """An arq job body in the JSON form our workers deserialize (never pickle)."""
    return orjson.dumps({"t": None, "f": function, "a": args, "k": {}, "et": enqueue_time_ms})


class Streams:
    """Typed writes to a deployment's Redis, bound to its names."""

    def __init__(
        self,
        redis: Redis,
        names: RedisNames,
        session_ttl: int,
        replay_margin: float = REPLAY_MARGIN_S,
    ) -> None:
        self.redis = redis
        self.names = names
        self.session_ttl = session_ttl + SESSION_TTL_MARGIN
        self.replay_window_ms = int((session_ttl + replay_margin) * 1000)
        self._maintain_every = min(MAINTAIN_EVERY_S, (session_ttl + replay_margin) / 4)
        self._maintained: dict[str, float] = {}
        # Sessions known to have had their first interaction (insertion ordered).
        self._interacted: dict[str, None] = {}
        self._persist_or_defer = redis.register_script(_PERSIST_OR_DEFER)
        self._first_interaction = redis.register_script(_FIRST_INTERACTION)
        self._enqueue_input = redis.register_script(_ENQUEUE_INPUT)
        self._enqueue_call = redis.register_script(_ENQUEUE_CALL)
        self._accept_message = redis.register_script(_ACCEPT_MESSAGE)

    async def emit(self, event: Envelope) -> str:
        """Append a UI event to its session's stream; returns the stream id."""
        key = self.names.ui_stream(event.session_id)
        async with self.redis.pipeline(transaction=False) as pipe:
            self._append(pipe, key, event)
            self._maintain(pipe, key)
            stream_id, *_ = await pipe.execute()
        return stream_id.decode() if isinstance(stream_id, bytes) else str(stream_id)

    async def emit_many(self, events: list[Envelope]) -> None:
        """Append several UI events in order with one round trip."""
        if not events:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            keys = set()
            for event in events:
                key = self.names.ui_stream(event.session_id)
                keys.add(key)
                self._append(pipe, key, event)
            for key in keys:
                self._maintain(pipe, key)
            await pipe.execute()

    @staticmethod
    def _append(pipe: Pipeline, key: str, event: Envelope) -> None:
        # "~": Redis trims whole nodes when convenient, not on every append.
        pipe.xadd(key, {"e": event.model_dump_json()}, maxlen=UI_STREAM_MAXLEN, approximate=True)

    def _maintain(self, pipe: Pipeline, key: str) -> None:
        """Refresh the stream's expiry and trim its old events, once per period.

        Every event used to cost an EXPIRE and an XTRIM besides its XADD. Both only need
        to happen well within the expiry and the replay window, so this process does them
        the first time it writes a stream and then at most every ``_maintain_every`` s.
        """
        now = time.monotonic()
        last = self._maintained.get(key)
        if last is not None and now - last < self._maintain_every:
            return
        if len(self._maintained) >= _MAINTAINED_MAX:
            horizon = now - self._maintain_every
            self._maintained = {k: t for k, t in self._maintained.items() if t > horizon}
        self._maintained[key] = now
        pipe.expire(key, self.session_ttl)
        cutoff = int(time.time() * 1000) - self.replay_window_ms
        if cutoff > 0:
            # Whole stream nodes older than any resumable client could ask for.
            pipe.xtrim(key, minid=f"{cutoff}-0", approximate=True)

    async def persist(self, event: Envelope) -> bool:
        """Queue a persistence event, deferred until the session's first interaction.

        Returns True when the event went to the persistence stream now.
        """
        sid = event.session_id
        if sid in self._interacted:
            # Once a session has interacted it stays so: no need to ask Redis again.
            await self.redis.xadd(self.names.persist_stream, {"e": event.model_dump_json()})
            return True
        keys = [self.names.session(sid), self.names.deferred(sid), self.names.persist_stream]
        result = await self._persist_or_defer(
            keys=keys, args=[event.model_dump_json(), self.session_ttl]
        )
        if result:
            self._note_interacted(sid)
        return bool(result)

    def _note_interacted(self, session_id: str) -> None:
        if len(self._interacted) >= _INTERACTED_MAX:
            # Oldest first out: a forgotten session only costs the script again.
            for old in list(self._interacted)[: _INTERACTED_MAX // 2]:
                del self._interacted[old]
        self._interacted[session_id] = None

    async def first_interaction(self, session_id: str, thread_upsert: Envelope) -> bool:
        """Mark the first interaction and release deferred writes after the thread."""
        keys = [
            self.names.session(session_id),
            self.names.deferred(session_id),
            self.names.persist_stream,
        ]
        first = bool(
            await self._first_interaction(keys=keys, args=[thread_upsert.model_dump_json()])
        )
        self._note_interacted(session_id)
        return first

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
        job_id = item.id
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
            job_key_prefix + item.id,
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
            item.id,
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
