"""The parts of arq's Worker that ``WakeableWorker`` builds on are still there, as used.

``WakeableWorker`` replaces arq's poll loop and job claiming, which reach into
arq's private methods and attributes. arq is pinned to one minor version; this
test fails loudly, naming what moved, when an upgrade changes any of them.
"""

from __future__ import annotations

import inspect
from typing import Any

import arq
from arq.connections import RedisSettings
from arq.worker import Worker

# Method name -> the parameters it must take (after self).
METHODS: dict[str, list[str]] = {
    "_poll_iteration": [],
    "start_jobs": ["job_ids"],
    "run_job": ["job_id", "score"],
    "_release_sem_dec_counter_on_complete": [],
    "handle_sig_wait_for_completion": ["signum"],
    "main": [],
}
ATTRIBUTES = (
    "_pool",
    "sem",
    "job_counter",
    "max_jobs",
    "in_progress_timeout_s",
    "tasks",
    "loop",
    "poll_delay_s",
    "expires_extra_ms",
    "job_deserializer",
    "job_serializer",
    "queue_name",
    "redis_settings",
    "on_startup",
    "ctx",
)


async def _noop(ctx: dict[str, Any]) -> None:
    return None


def test_arq_is_the_pinned_minor_version() -> None:
    assert arq.VERSION.startswith("0.28."), arq.VERSION


async def test_worker_internals_used_by_wakeable_worker_exist() -> None:
    worker = Worker(functions=[_noop], redis_settings=RedisSettings(), queue_name="contract")
    missing = [name for name in ATTRIBUTES if not hasattr(worker, name)]
    assert missing == [], f"arq.Worker no longer has {missing}"
    for name, params in METHODS.items():
        method = getattr(Worker, name, None)
        assert method is not None, f"arq.Worker.{name} is gone"
        found = list(inspect.signature(method).parameters)[1:]
        assert found == params, f"arq.Worker.{name}{found} changed (expected {params})"
        if (
            name != "handle_sig_wait_for_completion"
            and name != "_release_sem_dec_counter_on_complete"
        ):
            assert inspect.iscoroutinefunction(method), f"arq.Worker.{name} is no longer async"
    # Our claiming runs because arq's poll hands the due job ids to start_jobs.
    assert "self.start_jobs(" in inspect.getsource(Worker._poll_iteration)
