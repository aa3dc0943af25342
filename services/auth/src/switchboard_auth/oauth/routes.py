"""``/auth/oauth/{provider}`` and its callback: authorization-code login via authlib."""

from __future__ import annotations

import logging
import os
import secrets
from typing import TYPE_CHECKING, Any

from authlib.integrations.httpx_client import AsyncOAuth2Client
from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from switchboard.internal_auth import InvalidServiceToken, verify_service_token
from switchboard.schema.app_calls import OAuthCall
from switchboard_auth.callbacks import CallbackUnavailable, run_callback
from switchboard_auth.errors import LoginNotOffered, ProviderNotFound
from switchboard_auth.oauth.providers import Provider

if TYPE_CHECKING:
    from switchboard_auth.api import AuthContext

__all__ = ("build_oauth_router",)

logger = logging.getLogger(__name__)

STATE_COOKIE = "oauth_state"
_FAILED = "/login?error=oauthSignin"
_SUCCESS = "/login/callback?success=True"


class OAuthFailed(Exception):
    """Any failure of the dance; the browser is sent back to the login page."""


def build_oauth_router(ctx: AuthContext, providers: list[Provider]) -> APIRouter:
    router = APIRouter()
    by_id = {p.id: p for p in providers}

    def public_url(request: Request) -> str:
        if ctx.settings.public_url:
            return ctx.settings.public_url.rstrip("/")
        vouched = request.headers.get("x-switchboard-gateway")
        if vouched:
            try:
                verify_service_token(
                    ctx.settings.require_service_secret(), vouched, audience="auth"
                )
                return request.headers.get("x-switchboard-public-url", "").rstrip("/")
            except InvalidServiceToken:
                pass
        return str(request.base_url).rstrip("/")

    async def provider_for(provider_id: str) -> Provider:
        if not (await ctx.manifest()).has("oauth_callback"):
            raise LoginNotOffered("oauth_callback")
        provider = by_id.get(provider_id)
        if provider is None:
            raise ProviderNotFound(provider_id)
        return provider

    def client(provider: Provider, request: Request) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=provider.client_id,
            client_secret=provider.client_secret,
            scope=provider.scope,
            redirect_uri=f"{public_url(request)}/auth/oauth/{provider.id}/callback",
            token_endpoint_auth_method="client_secret_post",
            timeout=15,
        )

    @router.get("/auth/oauth/{provider_id}")
    async def start(provider_id: str, request: Request) -> Response:
        provider = await provider_for(provider_id)
        state = secrets.token_urlsafe(24)
        params: dict[str, Any] = dict(provider.authorize_params)
        prompt = provider.prompt(os.environ)
        if prompt:
            params["prompt"] = prompt
        if provider.form_post:
            params["nonce"] = secrets.token_urlsafe(16)
        async with client(provider, request) as oauth:
            url, _ = oauth.create_authorization_url(provider.authorize_url, state=state, **params)
        response = RedirectResponse(url, status_code=302)
        response.set_cookie(
            STATE_COOKIE,
            state,
            httponly=True,
            samesite=ctx.settings.cookie_samesite,
            secure=ctx.settings.cookie_samesite == "none",
            max_age=ctx.settings.state_cookie_lifetime,
            path="/",
        )
        return response

    async def finish(provider: Provider, request: Request, params: dict[str, str]) -> Response:
        status = 303 if provider.form_post else 302
        try:
            user = await _login(ctx, provider, client(provider, request), request, params)
        except OAuthFailed as exc:
            logger.info("oauth login failed", extra={"provider": provider.id, "reason": str(exc)})
            failed = RedirectResponse(_FAILED, status_code=status)
            failed.delete_cookie(STATE_COOKIE, path="/")
            return failed
        signed = await ctx.sign_in(request, user)
        response = RedirectResponse(_SUCCESS, status_code=status)
        for value in signed.headers.getlist("set-cookie"):
            response.headers.append("set-cookie", value)
        response.delete_cookie(STATE_COOKIE, path="/")
        return response

    @router.get("/auth/oauth/{provider_id}/callback")
    async def callback(provider_id: str, request: Request) -> Response:
        provider = await provider_for(provider_id)
        return await finish(provider, request, dict(request.query_params))

    @router.post("/auth/oauth/azure-ad-hybrid/callback")
    async def hybrid_callback(request: Request) -> Response:
        provider = await provider_for("azure-ad-hybrid")
        form = await request.form()
        params = {k: str(v) for k, v in form.items()} | dict(request.query_params)
        return await finish(provider, request, params)

    return router


async def _login(
    ctx: AuthContext,
    provider: Provider,
    oauth: AsyncOAuth2Client,
    request: Request,
    params: dict[str, str],
) -> Any:
    if params.get("error"):
        raise OAuthFailed(f"provider error {params['error'][:100]}")
    code, state = params.get("code"), params.get("state")
    expected = request.cookies.get(STATE_COOKIE)
    if not code or not state or not expected or not secrets.compare_digest(state, expected):
        raise OAuthFailed("missing code, or state does not match")
    async with oauth:
        try:
            token = await oauth.fetch_token(
                provider.token_url, code=code, grant_type="authorization_code"
            )
        except Exception as exc:  # network, HTTP or protocol error of the provider
            raise OAuthFailed(f"token exchange failed: {type(exc).__name__}") from exc
        access_token = token.get("access_token")
        if not access_token:
            raise OAuthFailed("no access token in the provider's answer")
        try:
            answer = await oauth.get(provider.userinfo_url, headers={"Accept": "application/json"})
            answer.raise_for_status()
            raw = answer.json()
            default_user = provider.to_user(raw, provider.id)
        except Exception as exc:
            raise OAuthFailed(f"user info failed: {type(exc).__name__}") from exc
    call = OAuthCall(
        provider_id=provider.id,
        token=str(access_token),
        raw_user_data=raw,
        default_user=default_user,
        id_token=params.get("id_token") or token.get("id_token"),
    )
    try:
        user = await run_callback(ctx.streams, call, ctx.settings.callback_timeout)
    except CallbackUnavailable as exc:
        raise OAuthFailed("oauth_callback did not answer") from exc
    if user is None:
        raise OAuthFailed("refused by oauth_callback")
    return user
