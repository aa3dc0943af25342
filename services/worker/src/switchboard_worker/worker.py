"""An arq worker that starts jobs as soon as they are enqueued.

arq polls its queue every ``poll_delay``; producers here also publish on a
wake channel, and an idle worker polls the moment it hears one, so job
pickup costs a Redis round trip rather than half a poll period on average.

arq's poll loop ends the worker on the first Redis error; this one backs off
and goes on, so a Redis restart costs a pause, not a worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from signal import Signals
from typing import Any

from arq.connections import create_pool
from arq.constants import in_progress_key_prefix
from arq.utils import timestamp_ms
from arq.worker import Worker

from switchboard.pubsub import subscribe_forever
from switchboard.reconnect import RedisBackoff
from switchboard_worker.claims import JobClaims

__all__ = ("WakeableWorker",)

logger = logging.getLogger(__name__)


class WakeableWorker(Worker):
    def __init__(self, *args: Any, wake_channel: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.wake_channel = wake_channel
        self._wake = asyncio.Event()
        self._claims: JobClaims | None = None

    async def main(self) -> None:
        if self._pool is None:
            self._pool = await create_pool(
                self.redis_settings,
                job_deserializer=self.job_deserializer,
                job_serializer=self.job_serializer,
                default_queue_name=self.queue_name,
                expires_extra_ms=self.expires_extra_ms,
            )
        logger.info("worker starting", extra={"queue": self.queue_name})
        self.ctx["redis"] = self.pool
        if self.on_startup:
            await self.on_startup(self.ctx)
        listener = asyncio.create_task(self._listen())
        backoff = RedisBackoff("worker poll", logger)
        try:
            while True:
                self._wake.clear()
                try:
                    await self._poll_iteration()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # Redis away (or a job's own bookkeeping failed)
                    await backoff.wait(exc)
                    continue
                backoff.succeeded()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_delay_s)
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener

    async def start_jobs(self, job_ids: list[bytes]) -> None:
        """arq's ``start_jobs`` with the jobs of a poll claimed in one round trip.

        A poll lists running jobs too; the claim skips them, so the free slots go to
        jobs that wait. The slots (semaphore and counter) are taken before the claim
        and the unused ones given back, also when Redis fails mid-claim: a leaked slot
        would leave the worker unable to run anything after a few outages.
        """
        free = self.max_jobs - self.job_counter
        if free <= 0 or not job_ids:
            return
        for _ in range(free):
            await self.sem.acquire()
        self.job_counter += free
        claimed: list[tuple[str, int]] = []
        try:
            if self._claims is None:
                self._claims = JobClaims(self.pool, self.queue_name, in_progress_key_prefix)
            claimed = await self._claims.claim(
                [job_id.decode() for job_id in job_ids],
                free,
                int(self.in_progress_timeout_s * 1000),
                timestamp_ms(),
            )
        finally:
            for _ in range(free - len(claimed)):
                self.job_counter -= 1
                self.sem.release()
        for job_id, score in claimed:
            task = self.loop.create_task(self.run_job(job_id, score))
            task.add_done_callback(lambda _: self._release_sem_dec_counter_on_complete())
            self.tasks[job_id] = task

    def _release_sem_dec_counter_on_complete(self) -> None:
        """A finished job frees a slot: look for waiting jobs now, not at the next poll."""
        super()._release_sem_dec_counter_on_complete()
        self._wake.set()

    def handle_sig_wait_for_completion(self, signum: Signals) -> None:
        """Stop taking inputs, let running ones finish within the grace period."""
        drainer = self.ctx.get("drainer")
        if drainer is not None:
            drainer.closing = True
        super().handle_sig_wait_for_completion(signum)

    async def _listen(self) -> None:
        async def wake(_: bytes) -> None:
            self._wake.set()

        await subscribe_forever(self.pool, self.wake_channel, wake)
