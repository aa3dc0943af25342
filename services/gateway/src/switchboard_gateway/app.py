"""The gateway: one public origin for Socket.IO, the REST API and the web UI."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import socketio
from fastapi import FastAPI
from redis.asyncio import BlockingConnectionPool, Redis

from switchboard.app_manifest import read_manifest
from switchboard.http_errors import answer_errors
from switchboard.refusals import log_refusals
from switchboard.schema.frames import UiFrame
from switchboard.schema.manifest import AppManifest
from switchboard.sealing import SecretSealer
from switchboard.service import instrument, liveness_router
from switchboard.streams import Streams
from switchboard_gateway.errors import GatewayError
from switchboard_gateway.history import build_history_router
from switchboard_gateway.identity import GatewayIdentity
from switchboard_gateway.limits import InputLimits
from switchboard_gateway.mcp_routes import build_mcp_router
from switchboard_gateway.metrics import ENGINEIO_SOCKETS, UI_EVENTS
from switchboard_gateway.ops import build_ops_app, not_on_public_port
from switchboard_gateway.origins import OriginGuard, OriginPolicy
from switchboard_gateway.polling import ClosedPollingSessions
from switchboard_gateway.proxies import ForwardedHeaders, TrustedProxies
from switchboard_gateway.public import public_folder
from switchboard_gateway.relay import StreamRelay
from switchboard_gateway.rest import build_router
from switchboard_gateway.revocations import listen_revocations
from switchboard_gateway.settings import GatewaySettings
from switchboard_gateway.sockets import SocketHandlers
from switchboard_gateway.uploads import build_upload_router
from switchboard_gateway.upstream import Upstreams
from switchboard_gateway.web import mount_web

__all__ = ("SOCKET_PATH", "GatewayApps", "create_app")

logger = logging.getLogger(__name__)

SOCKET_PATH = "/ws/socket.io"
# Cross-site form posts by design: Azure AD's hybrid flow answers with `form_post`.
CROSS_SITE_POSTS = frozenset({"/auth/oauth/azure-ad-hybrid/callback"})


@dataclass(frozen=True)
class GatewayApps:
    """The public app (Socket.IO, REST, web UI) and the operations app beside it."""

    public: Any
    ops: FastAPI


def create_app(settings: GatewaySettings | None = None) -> GatewayApps:
    """Build the ASGI apps: Socket.IO wrapped around FastAPI, and the operations app."""
    settings = settings or GatewaySettings()
    config = settings.app_config()
    origins = OriginPolicy(settings.origin_allowlist(config.project.allow_origins))
    config_dir = settings.config_file.parent if settings.config_file else None
    secret = settings.require_service_secret()
    redis_pool = BlockingConnectionPool.from_url(
        settings.redis_url,
        max_connections=max(settings.redis_max_connections, settings.relay_shards + 8),
        timeout=settings.upstream_timeout,
    )
    redis = Redis(connection_pool=redis_pool)
    streams = Streams(redis, settings.names, config.project.session_timeout)
    upstreams = Upstreams(
        secret,
        auth_url=settings.auth_url,
        persistence_url=settings.persistence_url,
        timeout=settings.upstream_timeout,
    )
    sio = socketio.AsyncServer(
        async_mode="asgi",
        # The handshake (and long-polling) refuses pages of other origins.
        cors_allowed_origins=origins.engineio_check,
        cors_credentials=True,
        max_http_buffer_size=settings.max_packet_bytes,
        ping_interval=25,
        ping_timeout=20,
        logger=False,
        engineio_logger=False,
        # One client's events are handled in the order it sent them (double
        # texting, stop after send); different clients still run concurrently.
        async_handlers=False,
    )
    ENGINEIO_SOCKETS.set_function(lambda: len(sio.eio.sockets))

    async def deliver(sid: str, session_id: str, event: UiFrame, event_id: str) -> None:
        UI_EVENTS.inc()
        await handlers.deliver(sid, session_id, event, event_id)

    identity = GatewayIdentity(
        redis,
        settings.names,
        upstreams,
        settings.auth_secret.get_secret_value() if settings.auth_secret else None,
        settings.cookie_name,
    )

    async def redis_recovered() -> None:
        await handlers.expire_lost_sessions()

    relay = StreamRelay(
        redis,
        settings.names,
        settings.gateway_id,
        settings.relay_shards,
        deliver,
        on_recovered=redis_recovered,
    )
    handlers = SocketHandlers(
        sio,
        streams=streams,
        relay=relay,
        upstreams=upstreams,
        identify=identity,
        config=config,
        max_event_bytes=settings.max_event_bytes,
        limits=InputLimits(
            max_session_inputs=settings.max_session_inputs,
            max_queue_depth=settings.max_queue_depth,
            user_messages_per_minute=settings.user_messages_per_minute,
            max_client_backlog=settings.max_client_backlog,
        ),
        event_rules=settings.event_limits,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await relay.start()
        revocations = asyncio.create_task(
            listen_revocations(
                redis, settings.names.revocations, handlers.revoke, handlers.revoke_user
            )
        )
        rechecks = asyncio.create_task(handlers.recheck_tokens_forever(settings.token_recheck_s))
        logger.info("gateway ready", extra={"gateway_id": settings.gateway_id})
        try:
            yield
        finally:
            for task in (revocations, rechecks):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await relay.stop()
            await upstreams.aclose()
            await redis.aclose()
            await redis_pool.aclose()

    # The API description is served on the operations port only (ops.py).
    api = FastAPI(
        title="switchboard-gateway",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )

    async def redis_ready() -> None:
        await redis.ping()

    answer_errors(api, GatewayError)

    async def manifest() -> AppManifest | None:
        return await read_manifest(redis, settings.names)

    api.include_router(liveness_router())
    api.include_router(not_on_public_port())
    api.include_router(
        build_router(
            config=config,
            config_dir=config_dir,
            upstreams=upstreams,
            identity=identity,
            manifest=manifest,
            streams=streams,
            action_timeout=settings.action_timeout,
        )
    )
    api.include_router(
        build_mcp_router(
            config=config,
            identity=identity,
            streams=streams,
            timeout=settings.mcp_timeout,
            sealer=SecretSealer(secret),
            manifest=manifest,
            app_call_timeout=settings.app_call_timeout,
        )
    )
    api.include_router(
        build_history_router(
            config=config,
            upstreams=upstreams,
            identity=identity,
            streams=streams,
            manifest=manifest,
            app_call_timeout=settings.app_call_timeout,
        )
    )
    api.include_router(
        build_upload_router(
            config=config,
            upstreams=upstreams,
            identity=identity,
            streams=streams,
            max_upload_bytes=settings.max_upload_mb * 1024 * 1024,
        )
    )
    mount_web(
        api,
        config,
        public_folder(settings.public_dir, settings.config_file),
        settings.web_dist,
    )
    log_refusals(api)
    # REST and web UI requests; Socket.IO's transport is measured by client event.
    instrument(api, "gateway")
    public = ClosedPollingSessions(
        socketio.ASGIApp(sio, other_asgi_app=api, socketio_path=SOCKET_PATH),
        lambda: sio.eio.sockets,
        SOCKET_PATH,
    )
    guarded = OriginGuard(public, origins, skip=(SOCKET_PATH,), exempt=CROSS_SITE_POSTS)
    return GatewayApps(
        public=ForwardedHeaders(guarded, TrustedProxies(settings.trusted_proxies)),
        ops=build_ops_app(api, {"redis": redis_ready}),
    )
