"""The sessions service: an HTTP API for gateways plus the reaper loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from redis.asyncio import Redis

from switchboard.internal_auth import InternalCaller
from switchboard.reconnect import MAX_BACKOFF_S, RedisBackoff
from switchboard.schema.session import ConnectRequest, ConnectResult, DisconnectRequest
from switchboard.service import health_router, instrument, service_caller
from switchboard.streams import Streams
from switchboard_sessions.errors import SessionForbidden, SessionsError
from switchboard_sessions.registry import SessionRegistry
from switchboard_sessions.settings import SessionsSettings

__all__ = ("create_app",)

logger = logging.getLogger(__name__)


def _registry(request: Request) -> SessionRegistry:
    registry: SessionRegistry = request.app.state.registry
    return registry


# The gateway that calls (and the user it vouches for), and the registry built at start-up.
CallerDep = Annotated[InternalCaller, Depends(service_caller("sessions"))]
RegistryDep = Annotated[SessionRegistry, Depends(_registry)]


async def _reaper(registry: SessionRegistry, interval: float) -> None:
    backoff = RedisBackoff("reaper", logger, cap=max(interval, MAX_BACKOFF_S))
    while True:
        try:
            await registry.reap()
            await registry.reap_lost()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # Redis away: keep the loop alive, back off, try again
            await backoff.wait(exc)
            continue
        backoff.succeeded()
        await asyncio.sleep(interval)


def create_app(settings: SessionsSettings | None = None) -> FastAPI:
    settings = settings or SessionsSettings()
    config = settings.app_config()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        redis = Redis.from_url(settings.redis_url)
        streams = Streams(redis, settings.names, config.project.session_timeout)
        registry = SessionRegistry(redis, streams, config.project.session_timeout)
        app.state.registry = registry
        app.state.redis = redis
        reaper = asyncio.create_task(_reaper(registry, settings.reap_interval))
        try:
            yield
        finally:
            reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reaper
            await redis.aclose()

    app = FastAPI(title="switchboard-sessions", lifespan=lifespan)
    app.state.service_secret = settings.require_service_secret()

    async def redis_ready() -> None:
        await app.state.redis.ping()

    app.include_router(health_router({"redis": redis_ready}))

    @app.exception_handler(SessionsError)
    async def sessions_error(_: Request, exc: SessionsError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=exc.status_code)

    @app.post("/sessions/connect")
    async def connect(body: ConnectRequest, who: CallerDep, registry: RegistryDep) -> ConnectResult:
        # The gateway vouches for the user; the body must name the same one.
        vouched = who.user.identifier if who.user else None
        named = body.user.identifier if body.user else None
        if vouched != named:
            raise SessionForbidden("user does not match token")
        return await registry.connect(body)

    @app.post("/sessions/{session_id}/disconnect")
    async def disconnect(
        session_id: str, body: DisconnectRequest, _: CallerDep, registry: RegistryDep
    ) -> dict[str, bool]:
        await registry.disconnect(session_id, clear=body.clear)
        return {"ok": True}

    instrument(app, "sessions")
    return app
