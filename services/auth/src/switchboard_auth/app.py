"""The auth service: login configuration and the current user.

Login itself (password, header, OAuth) builds on this; without login
callbacks every request is anonymous and ``/user`` is ``null``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import orjson
from fastapi import FastAPI
from redis.asyncio import Redis

from switchboard.service import health_router
from switchboard_auth.policy import auth_config, login_required
from switchboard_auth.settings import AuthSettings

__all__ = ("create_app",)


def create_app(settings: AuthSettings | None = None) -> FastAPI:
    settings = settings or AuthSettings()
    config = settings.app_config()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.redis = Redis.from_url(settings.redis_url)
        try:
            yield
        finally:
            await app.state.redis.aclose()

    app = FastAPI(title="switchboard-auth", lifespan=lifespan)
    app.state.service_secret = settings.require_service_secret()

    async def redis_ready() -> None:
        await app.state.redis.ping()

    app.include_router(health_router({"redis": redis_ready}))

    async def manifest() -> dict[str, Any] | None:
        raw = await app.state.redis.get(settings.names.app_manifest)
        return orjson.loads(raw) if raw else None

    @app.get("/auth/config")
    async def get_auth_config() -> dict[str, Any]:
        ui = {
            "login_page_image": config.ui.login_page_image,
            "login_page_image_filter": config.ui.login_page_image_filter,
            "login_page_image_dark_filter": config.ui.login_page_image_dark_filter,
        }
        return auth_config(await manifest(), settings.custom_auth, config.ui.default_theme, ui)

    @app.get("/user")
    async def get_user() -> None:
        if login_required(await manifest(), settings.custom_auth):
            from fastapi import HTTPException

            raise HTTPException(status_code=401, detail="Invalid authentication token")
        return None

    return app
