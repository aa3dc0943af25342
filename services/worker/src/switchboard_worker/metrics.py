"""Worker Prometheus metrics: how long jobs wait for a worker and how long they run.

Measured with arq's job hooks (``on_job_start``, ``after_job_end``); each job
function is wrapped (:func:`labelled`) to record its name and outcome in the job's
context, which arq hands to the function and to both hooks. The worker serves
them on ``SWITCHBOARD_WORKER_METRICS_PORT`` (:func:`serve_metrics`), off by default
since a local stack runs several workers on one host.
"""

from __future__ import annotations

import asyncio
import functools
import time
from datetime import datetime
from typing import Any

from arq.typing import WorkerCoroutine
from arq.worker import Retry, RetryJob
from prometheus_client import Histogram, start_http_server

__all__ = ("JOB_RUN", "JOB_WAIT", "after_job_end", "labelled", "on_job_start", "serve_metrics")

JOB_WAIT = Histogram(
    "switchboard_worker_job_wait_seconds",
    "From when a job could start (enqueued, or its retry due) to when a worker started it",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
JOB_RUN = Histogram(
    "switchboard_worker_job_run_seconds",
    "Run time of one try of a job, by function and outcome",
    ["function", "outcome"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600),
)

# Keys this module keeps in a job's context (arq passes one dict to the hooks and the job).
_STARTED = "switchboard_job_started"
_FUNCTION = "switchboard_job_function"
_OUTCOME = "switchboard_job_outcome"


def labelled(name: str, job: WorkerCoroutine) -> WorkerCoroutine:
    """``job`` recording its function name and outcome for :func:`after_job_end`.

    Outcomes: ``ok``; ``retried`` (arq runs it again: a session lock held elsewhere);
    ``cancelled`` (stopped, timed out, or the worker shut down); ``failed``.
    """

    @functools.wraps(job)
    async def run(ctx: dict[Any, Any], *args: Any, **kwargs: Any) -> Any:
        ctx[_FUNCTION] = name
        try:
            result = await job(ctx, *args, **kwargs)
        except (Retry, RetryJob):
            ctx[_OUTCOME] = "retried"
            raise
        except asyncio.CancelledError:
            ctx[_OUTCOME] = "cancelled"
            raise
        except Exception:
            ctx[_OUTCOME] = "failed"
            raise
        ctx[_OUTCOME] = "ok"
        return result

    return run


async def on_job_start(ctx: dict[str, Any]) -> None:
    """Observe the wait: from the job's score (when it became due) to now.

    The score is the enqueue time, or the time a deferred retry becomes due, so a
    retry's wait does not count its earlier tries. Clamped at 0: the producer's clock
    may run ahead of ours.
    """
    now_ms = time.time() * 1000
    due_ms = float(ctx.get("score") or 0)
    enqueued: datetime | None = ctx.get("enqueue_time")
    if enqueued is not None:
        due_ms = max(due_ms, enqueued.timestamp() * 1000)
    JOB_WAIT.observe(max(now_ms - due_ms, 0.0) / 1000)
    ctx[_STARTED] = time.perf_counter()


async def after_job_end(ctx: dict[str, Any]) -> None:
    """Observe the run time of this try, with the function and outcome it recorded."""
    started = ctx.get(_STARTED)
    if started is None:
        return
    JOB_RUN.labels(ctx.get(_FUNCTION, "unknown"), ctx.get(_OUTCOME, "unknown")).observe(
        time.perf_counter() - started
    )


def serve_metrics(host: str, port: int) -> None:
    """Serve ``/metrics`` from a thread of this process; ``port`` 0 serves nothing."""
    if port:
        start_http_server(port, addr=host)
