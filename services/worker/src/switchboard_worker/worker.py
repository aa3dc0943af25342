"""An arq worker that starts jobs as soon as they are enqueued.

arq polls its queue every ``poll_delay``; producers here also publish on a
wake channel, and an idle worker polls the moment it hears one, so job
pickup costs a Redis round trip rather than half a poll period on average.

arq's poll loop ends the worker on the first Redis error; this one backs off
and goes on, so a Redis restart costs a pause, not a worker.

Instead of arq's one health-check key per queue, each worker beats its own key
(:mod:`switchboard.fleet`) every ``health_check_interval`` seconds from its poll
loop, and deletes only that key when it stops.

Every job is measured (:mod:`switchboard_worker.metrics`): arq's job hooks time the
wait for a worker and the run, and each function is wrapped to name itself and its
outcome.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import socket
import time
from signal import Signals
from typing import Any

from arq.connections import create_pool
from arq.constants import in_progress_key_prefix
from arq.utils import timestamp_ms
from arq.worker import Function, Worker

from switchboard.fleet import Heartbeat, WorkerBeat
from switchboard.names import RedisNames
from switchboard.pubsub import subscribe_forever
from switchboard.reconnect import RedisBackoff
from switchboard_worker.claims import JobClaims
from switchboard_worker.metrics import after_job_end, labelled, on_job_start

__all__ = ("WakeableWorker",)

logger = logging.getLogger(__name__)


class WakeableWorker(Worker):
    def __init__(
        self, *args: Any, wake_channel: str, names: RedisNames, worker_id: str, **kwargs: Any
    ) -> None:
        super().__init__(
            *args,
            health_check_key=names.worker_beat(worker_id),
            on_job_start=on_job_start,
            after_job_end=after_job_end,
            **kwargs,
        )
        self.functions = {
            name: dataclasses.replace(job, coroutine=labelled(name, job.coroutine))
            if isinstance(job, Function)
            else job
            for name, job in self.functions.items()
        }
        self.wake_channel = wake_channel
        self.names = names
        self.worker_id = worker_id
        self.host = socket.gethostname()
        self._wake = asyncio.Event()
        self._claims: JobClaims | None = None
        self._last_beat: float | None = None
        self._heart: Heartbeat | None = None

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
                self._claims = JobClaims(
                    self.pool,
                    self.queue_name,
                    in_progress_key_prefix,
                    names=self.names,
                    worker_id=self.worker_id,
                )
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

    def beat(self) -> WorkerBeat:
        """What this worker says about itself in its heartbeat."""
        return WorkerBeat(
            id=self.worker_id,
            host=self.host,
            pid=os.getpid(),
            interval_s=self.health_check_interval,
            jobs_running=sum(not task.done() for task in self.tasks.values()),
            jobs_complete=self.jobs_complete,
            jobs_failed=self.jobs_failed,
            jobs_retried=self.jobs_retried,
            max_jobs=self.max_jobs,
            draining=not self.allow_pick_jobs,
        )

    def _heartbeat(self) -> Heartbeat:
        if self._heart is None:
            self._heart = Heartbeat(self.pool, self.names)
        return self._heart

    async def record_health(self) -> None:
        """Beat (called after each successful poll): at most once per interval.

        A worker whose poll loop stalls (Redis away, the loop blocked) stops beating,
        and its key lapses within a few intervals: it is not healthy then.
        """
        now = time.monotonic()
        if self._last_beat is not None and now - self._last_beat < self.health_check_interval:
            return
        await self._heartbeat().beat(self.beat())
        self._last_beat = now

    async def close(self) -> None:
        """Leave the fleet (only this worker's key), then arq's own close."""
        if self._pool is not None:
            try:
                await self._heartbeat().forget(self.worker_id)
            except Exception:  # Redis away: the key lapses on its own within its TTL
                logger.warning("could not remove heartbeat key", exc_info=True)
        await super().close()

    def _release_sem_dec_counter_on_complete(self) -> None:
        """A finished job frees a slot: look for waiting jobs now, not at the next poll."""
        super()._release_sem_dec_counter_on_complete()
        self._wake.set()

    def handle_sig_wait_for_completion(self, signum: Signals) -> None:
        """Stop taking inputs, let running ones finish within the grace period."""
        drainer = self.ctx.get("drainer")
        if drainer is not None:
            drainer.closing = True
        self._last_beat = None  # the next poll tells the fleet it drains
        super().handle_sig_wait_for_completion(signum)

    async def _listen(self) -> None:
        async def wake(_: bytes) -> None:
            self._wake.set()

        await subscribe_forever(self.pool, self.wake_channel, wake)
