"""The auth service: login routes, users, token verification policy."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import Depends, FastAPI
from redis.asyncio import Redis
from sqlalchemy import text

from switchboard.http_errors import answer_errors
from switchboard.reconnect import watch_redis
from switchboard.service import health_router, instrument, service_caller
from switchboard.streams import Streams
from switchboard_auth.api import AuthContext, build_router
from switchboard_auth.db.engine import make_engine, make_sessionmaker
from switchboard_auth.errors import AuthError
from switchboard_auth.internal import build_internal_router
from switchboard_auth.oauth.providers import configured_providers
from switchboard_auth.oauth.routes import build_oauth_router
from switchboard_auth.ratelimit import LoginLimiter
from switchboard_auth.settings import AuthSettings
from switchboard_auth.users import UserStore

__all__ = ("create_app",)


def create_app(settings: AuthSettings | None = None) -> FastAPI:
    settings = settings or AuthSettings()
    config = settings.app_config()
    redis = Redis.from_url(settings.redis_url)
    engine = make_engine(settings.database_url)
    users = UserStore(make_sessionmaker(engine))
    streams = Streams(redis, settings.names, config.project.session_timeout)
    providers = configured_providers()
    ctx = AuthContext(
        settings=settings,
        streams=streams,
        users=users,
        limiter=LoginLimiter(redis, settings.names, settings.max_failures, settings.failure_window),
        oauth_providers=[p.id for p in providers],
        ui={
            "login_page_image": config.ui.login_page_image,
            "login_page_image_filter": config.ui.login_page_image_filter,
            "login_page_image_dark_filter": config.ui.login_page_image_dark_filter,
        },
        default_theme=config.ui.default_theme,
        session_lifetime=config.project.user_session_timeout,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Requests reconnect by themselves; the watch makes outages visible in the log.
        watch = asyncio.create_task(watch_redis(redis, "auth"))
        try:
            yield
        finally:
            watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watch
            await redis.aclose()
            await engine.dispose()

    app = FastAPI(title="switchboard-auth", lifespan=lifespan)
    app.state.service_secret = settings.require_service_secret()
    app.state.auth = ctx

    answer_errors(app, AuthError)

    async def redis_ready() -> None:
        await redis.ping()

    async def database_ready() -> None:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    app.include_router(health_router({"redis": redis_ready, "database": database_ready}))
    app.include_router(build_router(ctx))
    app.include_router(build_oauth_router(ctx, providers))
    app.include_router(
        build_internal_router(ctx.credentials),
        dependencies=[Depends(service_caller("auth"))],
    )
    instrument(app, "auth")
    return app
