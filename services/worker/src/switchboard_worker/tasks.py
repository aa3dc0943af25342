"""The arq job: drain one session's inbox while holding its lock.

Inputs of one session run strictly one after another, whichever worker picks
up their jobs. A job that finds the lock taken leaves the input to the
holder; it retries later only in case the holder died.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

from arq import Retry
from redis.asyncio import Redis

from switchboard.aio import resolved
from switchboard.failpoints import failpoint
from switchboard.names import RedisNames
from switchboard.schema.control import StopRequest
from switchboard.schema.jobs import SessionInput, session_input_adapter
from switchboard.streams import JOB_FUNCTION
from switchboard_worker.locks import POP_INPUT, LockKeeper, SessionLocks
from switchboard_worker.runner import SessionRunner

__all__ = ("SessionDrainer", "run_session")

logger = logging.getLogger(__name__)

RETRY_DELAY_S = 1.0


class SessionDrainer:
    def __init__(
        self, redis: Redis, names: RedisNames, runner: SessionRunner, lock_ttl_ms: int
    ) -> None:
        self.streams = runner.streams
        self.redis = redis
        self.names = names
        self.runner = runner
        self.lock_ttl_ms = lock_ttl_ms
        self.locks = SessionLocks(redis, names, lock_ttl_ms)
        self.keeper = LockKeeper(redis, names, lock_ttl_ms)
        self._pop = redis.register_script(POP_INPUT)
        # Sessions whose lock this worker holds, and stops to apply between inputs.
        self.held: set[str] = set()
        self.pending_stops: dict[str, StopRequest] = {}
        # Set on SIGTERM: finish the running input, then hand the session over.
        self.closing = False

    def start(self) -> None:
        self.keeper.start()

    def stop(self) -> None:
        self.keeper.stop()

    async def drain(self, session_id: str, job_id: str = "") -> str:
        token = uuid.uuid4().hex
        if not await self.locks.acquire(session_id, token, job_id):
            if await resolved(self.redis.llen(self.names.inbox(session_id))) == 0:
                return "drained-elsewhere"
            raise Retry(defer=RETRY_DELAY_S)
        processed = await self._drain_locked(session_id, token)
        return f"processed {processed}"

    async def on_stop(self, request: StopRequest) -> None:
        """Apply a stop heard on the control channel, if this worker is the one to."""
        sid = request.session_id
        if sid in self.held:
            if not await self._claim(request):
                return
            if not await self.runner.cancel_running(sid):
                self.pending_stops[sid] = request
            return
        token = uuid.uuid4().hex
        if not await self.locks.acquire(sid, token, ""):
            return  # another worker holds the session and handles the stop
        if await self._claim(request):
            self.pending_stops[sid] = request
        await self._drain_locked(sid, token)

    async def _hand_over(self, session_id: str, token: str) -> None:
        """Release the session and queue a drain job for whichever worker comes next."""
        await self.locks.release(session_id, token)
        await self.streams.enqueue_call(JOB_FUNCTION, uuid.uuid4().hex, session_id)
        logger.info("session handed over", extra={"session_id": session_id})

    async def _claim(self, request: StopRequest) -> bool:
        key = self.names.stop_claim(request.session_id, request.id)
        return bool(await self.redis.set(key, "1", nx=True, ex=60))

    async def _drain_locked(self, session_id: str, token: str) -> int:
        keys = [
            self.names.lock(session_id),
            self.names.inbox(session_id),
            self.names.current(session_id),
            self.names.running,
            self.names.running_jobs,
        ]
        self.held.add(session_id)
        self.keeper.hold(session_id, token)
        self.keeper.start()
        processed = 0
        handed_over = False
        try:
            failpoint("drain.locked")
            again = await self.runner.recover(session_id)
            if again is not None:
                await self._run(session_id, again)
                processed += 1
            while True:
                if self.closing:
                    await self._hand_over(session_id, token)
                    handed_over = True
                    break
                if self.pending_stops.pop(session_id, None) is not None:
                    await self.runner.after_stop(session_id)
                popped = await self._pop(keys=keys, args=[token, session_id])
                if int(popped[0]) == 1 and session_id in self.pending_stops:
                    # A stop came in while the last pop was in flight: the inbox was
                    # empty and the lock is gone, but the stop is still ours to apply.
                    if await self._take_back(session_id, token):
                        continue
                    break
                if int(popped[0]) != 2:
                    if int(popped[0]) == 0:
                        # It lapsed (this process stalled or Redis was away) and another
                        # worker may run the session now: leave it to that one.
                        logger.warning("session lock lost", extra={"session_id": session_id})
                    break
                failpoint("drain.popped")
                try:
                    item = session_input_adapter.validate_json(popped[1])
                except ValueError as exc:
                    logger.error(
                        "malformed session input dropped",
                        extra={"session_id": session_id, "reason": str(exc)[:500]},
                    )
                    await self.redis.delete(self.names.current(session_id))
                    continue
                await self._run(session_id, item)
                processed += 1
        except asyncio.CancelledError:
            # Shut down mid-input: let another worker report it and go on at once.
            if not handed_over:
                await asyncio.shield(self._hand_over(session_id, token))
            raise
        finally:
            self.held.discard(session_id)
            self.keeper.drop(session_id)
        return processed

    async def _take_back(self, session_id: str, token: str) -> bool:
        """Retake a session just released to apply its stop; else pass the stop on.

        Another worker can only have taken it for a new input; it missed the stop on
        the control channel (the session was ours then), so it hears it again.
        """
        if await self.locks.acquire(session_id, token, ""):
            self.keeper.hold(session_id, token)
            return True
        stop = self.pending_stops.pop(session_id, None)
        # A new id: the first one is claimed by this worker, and the other must claim it.
        thread_id = stop.thread_id if stop is not None else None
        await self.streams.publish_control(StopRequest(session_id=session_id, thread_id=thread_id))
        return False

    async def _run(self, session_id: str, item: SessionInput) -> None:
        """Run one input that sits in ``current``, then clear it: it is done."""
        await self.runner.handle(item)
        failpoint("drain.handled")
        await self.redis.delete(self.names.current(session_id))


async def run_session(ctx: dict[str, Any], session_id: str) -> str:
    drainer: SessionDrainer = ctx["drainer"]
    return await drainer.drain(session_id, str(ctx.get("job_id") or ""))
