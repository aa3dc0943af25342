"""Fixtures for the worker's in-process tests.

The shared fixtures (``redis_url``, ``redis_prefix``, ``redis_client``, ...) come from
``tests.support.fixtures``, which the repository's root conftest registers.

``running_worker`` starts the real worker (``create_worker``: the app module loaded,
the arq poll loop, pub/sub wake-ups, the ``run_session`` job) in the test's event
loop, and the sessions service in process (``httpx.ASGITransport``) to create
sessions the way a gateway has them created.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from worker_support import SERVICE_SECRET, UNUSED_URL, RunningWorker, StartWorker

from switchboard.config import AppConfig
from switchboard.internal_auth import mint_service_token
from switchboard.names import RedisNames
from switchboard.schema.session import ConnectRequest, ConnectResult, SessionRecord
from switchboard.sdk.callbacks import registry
from switchboard.streams import Streams
from switchboard_sessions.app import create_app as create_sessions_app
from switchboard_sessions.settings import SessionsSettings
from switchboard_worker.app import create_worker
from switchboard_worker.settings import WorkerSettings

APP_MODULE = "__switchboard_app__"
# Seconds after which a test's worker block counts as stuck, and to stop a worker in.
STUCK_AFTER_S = 60.0
STOP_WITHIN_S = 30.0


def dump_tasks() -> None:
    """Print every asyncio task with its stack (shown with the failing test's output)."""
    print(f"--- worker test block still running after {STUCK_AFTER_S:.0f} s; tasks:")
    for task in asyncio.all_tasks():
        task.print_stack(file=sys.stdout)


@pytest.fixture
def isolated_registry() -> Iterator[None]:
    """The process-wide callback registry as it was, once the test's app is done with it."""
    hooks, actions = dict(registry.hooks), dict(registry.actions)
    module = sys.modules.get(APP_MODULE)
    registry.hooks.clear()
    registry.actions.clear()
    yield
    registry.hooks.clear()
    registry.hooks.update(hooks)
    registry.actions.clear()
    registry.actions.update(actions)
    if module is None:
        sys.modules.pop(APP_MODULE, None)
    else:
        sys.modules[APP_MODULE] = module


@pytest.fixture
async def running_worker(
    redis_url: str,
    redis_prefix: str,
    redis_client: aioredis.Redis,
    tmp_path: Path,
    isolated_registry: None,
) -> AsyncIterator[StartWorker]:
    """Start a worker running the app whose source is given; stopped when the block ends.

    Keyword arguments override its ``WorkerSettings`` (``worker_id``, ``heartbeat_interval``).
    """
    common: dict[str, Any] = {
        "redis_url": redis_url,
        "redis_prefix": redis_prefix,
        "service_secret": SERVICE_SECRET,
        "log_json": False,
    }
    sessions = create_sessions_app(SessionsSettings(**common))
    streams = Streams(redis_client, RedisNames(redis_prefix), AppConfig().project.session_timeout)

    @contextlib.asynccontextmanager
    async def serving_sessions() -> AsyncIterator[Callable[[], Awaitable[SessionRecord]]]:
        """The sessions service with its lifespan; a function that creates a session."""
        transport = httpx.ASGITransport(app=sessions)
        async with (
            sessions.router.lifespan_context(sessions),
            httpx.AsyncClient(transport=transport, base_url="http://sessions") as http,
        ):

            async def new_session() -> SessionRecord:
                token = mint_service_token(SERVICE_SECRET, service="gateway", audience="sessions")
                response = await http.post(
                    "/sessions/connect",
                    content=ConnectRequest(session_id=str(uuid.uuid4())).model_dump_json(),
                    headers={
                        "Authorization": f"Bearer {token}",
                        "content-type": "application/json",
                    },
                )
                assert response.status_code == 200, response.text
                return ConnectResult.model_validate_json(response.content).session

            yield new_session

    @contextlib.asynccontextmanager
    async def start(source: str, **overrides: Any) -> AsyncIterator[RunningWorker]:
        app_file = tmp_path / f"app_{uuid.uuid4().hex[:8]}.py"
        app_file.write_text(source, encoding="utf-8")
        settings = WorkerSettings(
            **{**common, "app": app_file, "persistence_url": UNUSED_URL, "poll_delay": 0.05},
            **overrides,
        )
        worker = create_worker(settings)
        # A block that hangs says where: every task's stack, well before pytest's timeout.
        watchdog = asyncio.get_running_loop().call_later(STUCK_AFTER_S, dump_tasks)
        try:
            async with serving_sessions() as new_session:
                main = asyncio.create_task(worker.main())
                try:
                    yield RunningWorker(settings.names, worker, streams, new_session)
                finally:
                    main.cancel()
                    async with asyncio.timeout(STOP_WITHIN_S):
                        with contextlib.suppress(asyncio.CancelledError):
                            await main
                        await worker.close()
        finally:
            watchdog.cancel()
            # arq's Worker put its SIGINT/SIGTERM handlers on this loop: pytest's again.
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)

    yield start
