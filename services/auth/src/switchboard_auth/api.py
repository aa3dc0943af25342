"""Chainlit's auth routes: /auth/config, /user, /login, /logout, /auth/header, /auth/jwt."""

from __future__ import annotations

import logging
import time
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import JSONResponse

from switchboard.app_calls import AppCallTimeout, call_app
from switchboard.app_manifest import ManifestUnreadable, read_manifest
from switchboard.internal_auth import InvalidServiceToken, verify_service_token
from switchboard.schema.app_calls import (
    CookieChange,
    HeaderAuthCall,
    LogoutCall,
    LogoutOutcome,
    PasswordAuthCall,
)
from switchboard.schema.manifest import AppManifest
from switchboard.schema.session import UserRef
from switchboard.streams import Streams
from switchboard.tokens import InvalidUserToken, decode_user_token, issue_user_token, read_token
from switchboard_auth.callbacks import CallbackUnavailable, run_callback
from switchboard_auth.cookies import clear_auth_cookies, set_auth_cookie
from switchboard_auth.credentials import Credentials
from switchboard_auth.errors import (
    LoginNotOffered,
    LoginRefused,
    LoginUnavailable,
    SecretMissing,
    Unauthorized,
)
from switchboard_auth.policy import login_required
from switchboard_auth.ratelimit import LoginLimiter
from switchboard_auth.settings import AuthSettings
from switchboard_auth.users import UserStore

__all__ = ("AuthContext", "build_router")

logger = logging.getLogger(__name__)

# Headers a header_auth_callback never needs and must never see.
_PRIVATE_HEADERS = ("cookie", "authorization", "x-switchboard-client")


class AuthContext:
    """What the routes share: settings, stores, Redis; built in the app's lifespan."""

    def __init__(
        self,
        settings: AuthSettings,
        streams: Streams,
        users: UserStore,
        limiter: LoginLimiter,
        oauth_providers: list[str],
        ui: dict[str, Any],
        default_theme: str,
        session_lifetime: int,
    ) -> None:
        self.settings = settings
        self.streams = streams
        self.users = users
        self.limiter = limiter
        self.oauth_providers = oauth_providers
        self.ui = ui
        self.default_theme = default_theme
        self.session_lifetime = session_lifetime
        self.credentials = Credentials(streams.redis, streams.names, users)
        self._store_cache: tuple[float, bool] = (0.0, False)

    async def manifest(self) -> AppManifest:
        """What the app registered; empty before any worker has published it.

        An unreadable one refuses the request (503) rather than reading as "no login".
        """
        try:
            return await read_manifest(self.streams.redis, self.streams.names) or AppManifest()
        except ManifestUnreadable as exc:
            raise LoginUnavailable() from exc

    async def store_has_users(self) -> bool:
        at, value = self._store_cache
        if time.monotonic() - at > 2.0:
            value = await self.users.has_passwords()
            self._store_cache = (time.monotonic(), value)
        return value

    async def required(self) -> bool:
        return login_required(
            await self.manifest(),
            custom_auth=self.settings.custom_auth,
            store_has_users=await self.store_has_users(),
            oauth=bool(self.oauth_providers),
        )

    def secret(self) -> str:
        secret = self.settings.jwt_secret()
        if not secret:
            logger.error("login is required but CHAINLIT_AUTH_SECRET is not set")
            raise SecretMissing()
        return secret

    def client_address(self, request: Request) -> str:
        """The browser's address as vouched for by the gateway, else the peer's."""
        auth = request.headers.get("x-switchboard-gateway", "")
        if auth:
            try:
                verify_service_token(self.settings.require_service_secret(), auth, audience="auth")
                return request.headers.get("x-switchboard-client", "unknown")
            except InvalidServiceToken:
                pass
        return request.client.host if request.client else "unknown"

    async def sign_in(self, request: Request, user: UserRef) -> JSONResponse:
        secret = self.secret()
        signed = await self.users.upsert(user)
        if signed.created or signed.rotated:
            # New metadata (roles) ends the tokens and sockets that carry the old.
            await self.credentials.changed(
                user.identifier, signed.credential_version, revoke=signed.rotated
            )
        user = user.model_copy(update={"id": signed.user["id"]})
        token = issue_user_token(secret, user, self.session_lifetime, signed.credential_version)
        response = JSONResponse({"success": True})
        set_auth_cookie(
            response,
            token,
            name=self.settings.cookie_name,
            samesite=self.settings.cookie_samesite,
            max_age=self.session_lifetime,
            existing=request.cookies,
        )
        logger.info("signed in", extra={"user": user.identifier})
        return response

    async def current_user(self, request: Request) -> UserRef | None:
        token = read_token(request.headers, self.settings.cookie_name)
        if token is None:
            return None
        try:
            decoded = decode_user_token(self.secret(), token)
        except InvalidUserToken:
            return None
        if await self.streams.redis.exists(self.streams.names.revoked_token(decoded.token_id)):
            return None
        if not await self.credentials.accepts(decoded):
            return None
        return decoded.user


def build_router(ctx: AuthContext) -> APIRouter:
    router = APIRouter()

    @router.get("/auth/config")
    async def auth_config() -> dict[str, Any]:
        app = await ctx.manifest()
        return {
            "requireLogin": await ctx.required(),
            "passwordAuth": app.has("password_auth_callback") or await ctx.store_has_users(),
            "headerAuth": app.has("header_auth_callback"),
            "oauthProviders": ctx.oauth_providers if app.has("oauth_callback") else [],
            "default_theme": ctx.default_theme,
            "ui": ctx.ui,
        }

    @router.get("/user")
    async def user(request: Request) -> Any:
        if not await ctx.required():
            return None
        current = await ctx.current_user(request)
        if current is None:
            raise Unauthorized()
        return await ctx.users.get(current.identifier) or current.model_dump()

    @router.post("/login")
    async def login(
        request: Request,
        username: Annotated[str, Form(max_length=255)],
        password: Annotated[str, Form(max_length=1024)],
    ) -> Response:
        address = ctx.client_address(request)
        # Throttled (429, Retry-After) before any password is checked.
        await ctx.limiter.check(username, address)
        if (await ctx.manifest()).has("password_auth_callback"):
            call = PasswordAuthCall(username=username, password=password)
            try:
                found = await run_callback(ctx.streams, call, ctx.settings.callback_timeout)
            except CallbackUnavailable as exc:
                raise LoginUnavailable() from exc
        elif await ctx.store_has_users():
            found = await ctx.users.authenticate(username, password)
        else:
            raise LoginNotOffered("auth_callback")
        if found is None:
            await ctx.limiter.failed(username, address)
            logger.info("login refused", extra={"user": username, "client": address})
            raise LoginRefused()
        await ctx.limiter.succeeded(username, address)
        return await ctx.sign_in(request, found)

    @router.post("/auth/header")
    async def header_login(request: Request) -> Response:
        if not (await ctx.manifest()).has("header_auth_callback"):
            raise LoginNotOffered("header_auth_callback")
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() not in _PRIVATE_HEADERS and not k.lower().startswith("x-switchboard-")
        }
        try:
            found = await run_callback(
                ctx.streams, HeaderAuthCall(headers=headers), ctx.settings.callback_timeout
            )
        except CallbackUnavailable as exc:
            raise LoginUnavailable() from exc
        if found is None:
            raise LoginRefused()
        return await ctx.sign_in(request, found)

    @router.post("/auth/jwt")
    async def jwt_exchange(request: Request) -> Response:
        header = request.headers.get("authorization")
        if not header:
            raise Unauthorized("Authorization header missing")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer":
            raise Unauthorized("Invalid authentication scheme. Please use Bearer")
        if not token.strip():
            raise Unauthorized("Invalid authorization header format")
        try:
            decoded = decode_user_token(ctx.secret(), token.strip())
        except InvalidUserToken as exc:
            raise Unauthorized("Invalid token") from exc
        if await ctx.streams.redis.exists(ctx.streams.names.revoked_token(decoded.token_id)):
            raise Unauthorized("Invalid token")
        # A token Switchboard issued is exchanged only while its user's credentials are
        # unchanged; one minted elsewhere with the secret (no ``uid``/``cv``) signs in afresh.
        ours = decoded.credential_version is not None or decoded.user.id is not None
        if ours and not await ctx.credentials.accepts(decoded):
            raise Unauthorized("Invalid token")
        return await ctx.sign_in(request, decoded.user)

    @router.post("/logout")
    async def logout(request: Request) -> Response:
        token = read_token(request.headers, ctx.settings.cookie_name)
        secret = ctx.settings.jwt_secret()
        decoded_user: UserRef | None = None
        if token is not None and secret:
            try:
                decoded = decode_user_token(secret, token)
            except InvalidUserToken:
                decoded = None
            if decoded is not None:
                ttl = max(decoded.expires_at - int(time.time()), 1)
                names = ctx.streams.names
                await ctx.streams.redis.set(names.revoked_token(decoded.token_id), "1", ex=ttl)
                await ctx.streams.redis.publish(names.revocations, decoded.token_id)
                decoded_user = decoded.user
                logger.info("signed out", extra={"user": decoded.user.identifier})
        body, changes = await _on_logout(ctx, request, decoded_user)
        response = JSONResponse(body)
        clear_auth_cookies(response, name=ctx.settings.cookie_name, existing=request.cookies)
        for change in changes:
            if change.value is None:
                response.delete_cookie(change.name, path=change.path)
            else:
                response.set_cookie(
                    change.name,
                    change.value,
                    path=change.path,
                    max_age=change.max_age,
                    httponly=change.httponly,
                    secure=change.secure,
                    samesite=change.samesite,
                )
        return response

    return router


async def _on_logout(
    ctx: AuthContext, request: Request, user: UserRef | None
) -> tuple[Any, list[CookieChange]]:
    """Run the app's ``on_logout``; its return value becomes the answer, as in Chainlit."""
    if not (await ctx.manifest()).has("on_logout"):
        return {"success": True}, []
    auth_cookie = ctx.settings.cookie_name
    call = LogoutCall(
        user=user,
        headers={
            k: v
            for k, v in request.headers.items()
            if k.lower() not in _PRIVATE_HEADERS and not k.lower().startswith("x-switchboard-")
        },
        cookies={k: v for k, v in request.cookies.items() if not k.startswith(auth_cookie)},
    )
    try:
        reply = await call_app(ctx.streams, call, ctx.settings.callback_timeout)
    except AppCallTimeout:
        logger.warning("on_logout did not answer in time")
        return {"success": True}, []
    outcome = LogoutOutcome.model_validate(reply.value or {})
    answer = outcome.result if outcome.result is not None else {"success": True}
    return answer, outcome.cookies
