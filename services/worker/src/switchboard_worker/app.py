"""Build the worker: settings, app module, arq worker wired to Redis."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from typing import Any

import orjson
from arq import func
from arq.connections import RedisSettings

from switchboard.app_manifest import publish_manifest
from switchboard.config import AppConfig
from switchboard.fleet import default_worker_id
from switchboard.names import RedisNames
from switchboard.reconnect import RedisBackoff
from switchboard.schema.manifest import AppManifest
from switchboard.sdk.callbacks import AppCallbacks, call_user_function
from switchboard.sealing import SecretSealer
from switchboard.streams import APP_CALL_FUNCTION, JOB_FUNCTION, Streams
from switchboard_worker.app_calls import AppCaller, run_app_call
from switchboard_worker.control import listen_control
from switchboard_worker.errors import LoginSecretMissing, NoAppModule
from switchboard_worker.loader import load_app
from switchboard_worker.mcp_pool import McpLimits
from switchboard_worker.runner import SessionRunner
from switchboard_worker.settings import WorkerSettings
from switchboard_worker.tasks import SessionDrainer, run_session
from switchboard_worker.threads import PersistenceClient
from switchboard_worker.worker import WakeableWorker

__all__ = ("create_worker", "load_checked_app")

logger = logging.getLogger(__name__)

# Retries only cover a lock held by a worker that died; each waits RETRY_DELAY_S.
MAX_TRIES = 600


def require_login_secret(app: AppCallbacks) -> None:
    """An app that makes login required cannot run without the token secret (Chainlit's rule)."""
    login = [name for name in ("password_auth_callback", "header_auth_callback") if app.get(name)]
    oauth_configured = any(
        key.startswith("OAUTH_") and key.endswith("_CLIENT_ID") and value
        for key, value in os.environ.items()
    )
    if app.get("oauth_callback") and oauth_configured:
        login.append("oauth_callback")
    secret = os.environ.get("CHAINLIT_AUTH_SECRET") or os.environ.get("SWITCHBOARD_AUTH_SECRET")
    if login and not secret:
        raise LoginSecretMissing(login)


def load_checked_app(settings: WorkerSettings) -> tuple[AppCallbacks, AppConfig]:
    """Everything a worker checks before it takes jobs (``--check`` stops here).

    Raises a ``WorkerError`` saying what to fix.
    """
    if settings.app is None:
        raise NoAppModule()
    app = load_app(settings.app)
    require_login_secret(app)
    return app, settings.app_config()


def create_worker(settings: WorkerSettings) -> WakeableWorker:
    app, config = load_checked_app(settings)
    names = settings.names
    worker_id = settings.worker_id or default_worker_id(os.getpid())

    async def on_startup(ctx: dict[str, Any]) -> None:
        redis = ctx["redis"]
        streams = Streams(redis, names, config.project.session_timeout)
        threads = PersistenceClient(settings.persistence_url, settings.require_service_secret())
        ctx["threads"] = threads
        runner = SessionRunner(
            streams,
            app,
            config,
            threads,
            worker_id=worker_id,
            sealer=SecretSealer(settings.require_service_secret()),
            mcp_limits=McpLimits(
                connect_timeout_s=settings.mcp_connect_timeout,
                call_timeout_s=settings.mcp_call_timeout,
                max_result_bytes=settings.mcp_max_result_bytes,
                max_stdio=settings.mcp_max_stdio,
            ),
        )
        drainer = SessionDrainer(redis, names, runner, settings.lock_ttl_ms)
        ctx["drainer"] = drainer
        ctx["app_caller"] = AppCaller(redis, names, app)
        ctx["background"] = [
            asyncio.create_task(
                _keep_manifest(redis, names, app.manifest(config.ui.name), settings.manifest_ttl)
            ),
            asyncio.create_task(listen_control(redis, names.control, drainer)),
            asyncio.create_task(_keep_mcp_holders(runner)),
        ]
        # Chainlit runs these in the server's lifespan; here, once per worker process.
        startup = app.get("on_app_startup")
        if startup is not None:
            await call_user_function(startup)

    async def on_shutdown(ctx: dict[str, Any]) -> None:
        shutdown = app.get("on_app_shutdown")
        if shutdown is not None:
            try:
                await call_user_function(shutdown)
            except Exception:
                logger.exception("on_app_shutdown failed")
        for task in ctx.get("background", []):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if "drainer" in ctx:
            try:
                await ctx["drainer"].runner.mcp_shutdown()
            except Exception:
                logger.exception("mcp servers not closed cleanly")
        if "drainer" in ctx:
            ctx["drainer"].stop()
        if "threads" in ctx:
            await ctx["threads"].aclose()

    return WakeableWorker(
        functions=[
            func(run_session, name=JOB_FUNCTION, max_tries=MAX_TRIES, timeout=settings.job_timeout),
            func(run_app_call, name=APP_CALL_FUNCTION, max_tries=1, timeout=settings.auth_timeout),
        ],
        redis_settings=RedisSettings.from_dsn(settings.redis_url),
        queue_name=names.queue,
        wake_channel=names.queue_wake,
        job_serializer=orjson.dumps,
        job_deserializer=orjson.loads,
        max_jobs=settings.max_jobs,
        poll_delay=settings.poll_delay,
        keep_result=60,
        max_tries=MAX_TRIES,
        on_startup=on_startup,
        on_shutdown=on_shutdown,
        handle_signals=True,
        job_completion_wait=settings.shutdown_grace,
        health_check_interval=settings.heartbeat_interval,
        names=names,
        worker_id=worker_id,
    )


# The manifest is written this often at most, so a Redis that restarted empty has it
# back within seconds.
MANIFEST_PERIOD_S = 2.0


async def _keep_manifest(redis: Any, names: RedisNames, manifest: AppManifest, ttl: int) -> None:
    """Tell services that do not load the app what it defines, for as long as we run."""
    backoff = RedisBackoff("manifest", logger)
    while True:
        try:
            await publish_manifest(redis, names, manifest, ttl)
        except Exception as exc:  # Redis away: keep serving, try again soon
            await backoff.wait(exc)
            continue
        backoff.succeeded()
        await asyncio.sleep(min(ttl / 3, MANIFEST_PERIOD_S))


# The MCP holder keys are refreshed this often (they lapse after HOLDER_TTL_S).
MCP_HOLDER_PERIOD_S = 10.0


async def _keep_mcp_holders(runner: SessionRunner) -> None:
    """Name this worker as the holder of its sessions' MCP servers, while it lives."""
    backoff = RedisBackoff("mcp holders", logger)
    while True:
        try:
            await runner.mcp_refresh_holders()
        except Exception as exc:  # Redis away: the keys lapse, sessions may move
            await backoff.wait(exc)
            continue
        backoff.succeeded()
        await asyncio.sleep(MCP_HOLDER_PERIOD_S)
