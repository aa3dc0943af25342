"""An arq worker that starts jobs as soon as they are enqueued.

arq polls its queue every ``poll_delay``; producers here also publish on a
wake channel, and an idle worker polls the moment it hears one, so job
pickup costs a Redis round trip rather than half a poll period on average.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from signal import Signals
from typing import Any

from arq.connections import create_pool
from arq.worker import Worker

from switchboard.pubsub import subscribe_forever

__all__ = ("WakeableWorker",)

logger = logging.getLogger(__name__)


class WakeableWorker(Worker):
    def __init__(self, *args: Any, wake_channel: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.wake_channel = wake_channel
        self._wake = asyncio.Event()

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
        try:
            while True:
                self._wake.clear()
                await self._poll_iteration()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_delay_s)
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener

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
