"""Chainlit's REST paths on the public origin, answered here or by the owning service."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Body, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, StringConstraints

from switchboard.app_calls import AppCallTimeout, call_app
from switchboard.config import AppConfig, apply_overrides
from switchboard.mcp_policy import user_urls_allowed
from switchboard.replies import await_reply
from switchboard.schema.app_calls import (
    AppCall,
    ChatProfilesCall,
    StarterCategoriesCall,
    StartersCall,
)
from switchboard.schema.ids import UuidId, internal_path
from switchboard.schema.jobs import ActionInput, ActionPayload
from switchboard.schema.manifest import AppManifest
from switchboard.schema.steps import ActionDict
from switchboard.streams import Streams
from switchboard_gateway.errors import (
    ActionTimedOut,
    AppUnavailable,
    NotFound,
    Refused,
    Unprocessable,
)
from switchboard_gateway.identity import GatewayIdentity
from switchboard_gateway.session_access import owned_session
from switchboard_gateway.upstream import Upstreams

__all__ = ("build_router",)

_LANGUAGE = re.compile(
    r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,4})?(-[a-zA-Z0-9]{2,8})?(-x-[a-zA-Z0-9]{1,8})?$"
)
_PACKAGED_TRANSLATIONS = Path(__file__).parent / "translations"
# Headers an upstream answer may pass back to the browser, and the request
# headers an upstream may see.
_FORWARDED_RESPONSE_HEADERS = (
    "content-type",
    "set-cookie",
    "cache-control",
    "retry-after",
    "location",
)
_FORWARDED_REQUEST_HEADERS = (
    "cookie",
    "authorization",
    "content-type",
    "accept-language",
    "user-agent",
)
# Never forwarded even to header auth: hop-by-hop, framing, and our own vouching headers.
_UNFORWARDABLE_REQUEST_HEADERS = frozenset(
    {"host", "content-length", "connection", "keep-alive", "transfer-encoding", "upgrade", "te"}
)


# Bodies and headers the auth service reads, described here since they are forwarded raw.
_LOGIN_FORM: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "username": {"type": "string", "maxLength": 255},
                        "password": {"type": "string", "maxLength": 1024},
                    },
                    "required": ["username", "password"],
                }
            }
        },
    }
}
_BEARER_HEADER: dict[str, Any] = {
    "parameters": [
        {"in": "header", "name": "Authorization", "required": True, "schema": {"type": "string"}}
    ]
}

# Chainlit's provider ids, and the names ``OAUTH_*_NAME`` may give generic ones.
_PROVIDER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
ProviderId = Annotated[str, StringConstraints(pattern=_PROVIDER_PATTERN)]


class ActionRequest(BaseModel):
    action: ActionDict
    sessionId: UuidId


def _markdown(config_dir: Path | None) -> str | None:
    """Chainlit's welcome screen: ``chainlit.md`` beside the ``.chainlit`` folder."""
    if config_dir is None:
        return None
    for candidate in (config_dir.parent / "chainlit.md", config_dir / "chainlit.md"):
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8")
    return None


def _translation(language: str, dirs: list[Path]) -> dict[str, Any]:
    base = language.split("-")[0]
    for directory in dirs:
        if not directory.is_dir():
            continue
        # Exact tag, then the bare language, then any region of it (pt-BR finds pt-PT).
        candidates = [directory / f"{language}.json", directory / f"{base}.json"]
        candidates += sorted(directory.glob(f"{base}-*.json"))
        candidates.append(directory / "en-US.json")
        for candidate in candidates:
            if candidate.is_file():
                data: dict[str, Any] = json.loads(candidate.read_text(encoding="utf-8"))
                return data
    return {}


def build_router(
    *,
    config: AppConfig,
    config_dir: Path | None,
    upstreams: Upstreams,
    identity: GatewayIdentity,
    manifest: Callable[[], Awaitable[AppManifest | None]],
    streams: Streams,
    action_timeout: float,
    app_call_timeout: float = 10.0,
) -> APIRouter:
    router = APIRouter()
    markdown = _markdown(config_dir)
    translation_dirs = ([config_dir / "translations"] if config_dir else []) + [
        _PACKAGED_TRANSLATIONS
    ]

    async def forward(
        client: httpx.AsyncClient, request: Request, path: str, *, all_headers: bool = False
    ) -> Response:
        # Header auth judges the request by its headers, so it sees all of them.
        headers = {
            k: v
            for k, v in request.headers.items()
            if (
                k.lower() not in _UNFORWARDABLE_REQUEST_HEADERS
                and not k.lower().startswith("x-switchboard-")
                if all_headers
                else k.lower() in _FORWARDED_REQUEST_HEADERS
            )
        }
        # Vouch for what the auth service cannot see behind us: the browser's
        # address (rate limits) and the public URL (OAuth redirect URIs).
        headers["x-switchboard-gateway"] = upstreams.token_headers("auth", None)[
            "Authorization"
        ].removeprefix("Bearer ")
        headers["x-switchboard-client"] = request.client.host if request.client else "unknown"
        headers["x-switchboard-public-url"] = str(request.base_url).rstrip("/")
        upstream = await client.request(
            request.method,
            path,
            params=request.query_params,
            headers=headers,
            content=await request.body(),
        )
        response = Response(content=upstream.content, status_code=upstream.status_code)
        for name in _FORWARDED_RESPONSE_HEADERS:
            for value in upstream.headers.get_list(name):
                response.headers.append(name, value)
        return response

    @router.head("/")
    async def head_root() -> dict[str, str]:
        return {"message": "Site is operational"}

    @router.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/auth/config")
    async def auth_config(request: Request) -> Response:
        return await forward(upstreams.auth, request, "/auth/config")

    @router.get("/user")
    async def user(request: Request) -> Response:
        return await forward(upstreams.auth, request, "/user")

    @router.post("/login", openapi_extra=_LOGIN_FORM)
    async def login(request: Request) -> Response:
        return await forward(upstreams.auth, request, "/login")

    @router.post("/logout")
    async def logout(request: Request) -> Response:
        return await forward(upstreams.auth, request, "/logout")

    @router.post("/auth/header")
    async def header_login(request: Request) -> Response:
        return await forward(upstreams.auth, request, "/auth/header", all_headers=True)

    @router.post("/auth/jwt", openapi_extra=_BEARER_HEADER)
    async def jwt_login(request: Request) -> Response:
        return await forward(upstreams.auth, request, "/auth/jwt")

    @router.get("/auth/oauth/{provider_id}")
    async def oauth_start(provider_id: ProviderId, request: Request) -> Response:
        return await forward(upstreams.auth, request, internal_path("auth", "oauth", provider_id))

    @router.get("/auth/oauth/{provider_id}/callback")
    async def oauth_callback(provider_id: ProviderId, request: Request) -> Response:
        path = internal_path("auth", "oauth", provider_id, "callback")
        return await forward(upstreams.auth, request, path)

    @router.post("/auth/oauth/azure-ad-hybrid/callback")
    async def oauth_hybrid_callback(request: Request) -> Response:
        return await forward(upstreams.auth, request, "/auth/oauth/azure-ad-hybrid/callback")

    @router.get("/project/translations")
    async def translations(language: Annotated[str, Query()] = "en-US") -> dict[str, Any]:
        if not _LANGUAGE.match(language):
            raise Unprocessable("Invalid language code")
        return {"translation": _translation(config.ui.language or language, translation_dirs)}

    async def app_list(hook: str, call: AppCall, app: AppManifest) -> list[Any]:
        if not app.has(hook):
            return []
        try:
            reply = await call_app(streams, call, timeout=app_call_timeout)
        except AppCallTimeout as exc:
            raise AppUnavailable() from exc
        return list(reply.value or [])

    @router.get("/project/settings")
    async def project_settings(
        request: Request,
        language: Annotated[str | None, Query(max_length=35)] = None,
        chat_profile: Annotated[str | None, Query(max_length=255)] = None,
    ) -> dict[str, Any]:
        user = await identity.require(request)
        app = await manifest() or AppManifest()
        profiles = await app_list(
            "set_chat_profiles", ChatProfilesCall(user=user, language=language), app
        )
        starters = await app_list("set_starters", StartersCall(user=user, language=language), app)
        categories = await app_list(
            "set_starter_categories",
            StarterCategoriesCall(user=user, language=language, chat_profile=chat_profile),
            app,
        )
        effective = config
        chosen = next((p for p in profiles if p.get("name") == chat_profile), None)
        if chosen and chosen.get("config_overrides"):
            effective = apply_overrides(config, chosen["config_overrides"])
        return {
            "ui": effective.ui.model_dump(),
            "features": _shown_features(effective),
            "userEnv": effective.project.user_env,
            "maskUserEnv": effective.project.mask_user_env,
            "dataPersistence": True,
            "threadResumable": app.has("on_chat_resume"),
            "threadSharing": bool(
                effective.features.allow_thread_sharing and app.has("on_shared_thread_view")
            ),
            "markdown": markdown,
            "chatProfiles": [
                {k: v for k, v in p.items() if k != "config_overrides"} for p in profiles
            ],
            "starters": starters,
            "starterCategories": categories,
            "debugUrl": None,
        }

    @router.post("/set-session-cookie")
    async def set_session_cookie(
        request: Request, session_id: Annotated[UuidId, Body(embed=True)]
    ) -> JSONResponse:
        local = request.client is not None and request.client.host in ("127.0.0.1", "localhost")
        response = JSONResponse({"message": "Session cookie set"})
        response.set_cookie(
            "X-Chainlit-Session-id",
            session_id,
            httponly=True,
            path="/",
            secure=not local,
            samesite="lax" if local else "none",
        )
        return response

    @router.get("/project/thread/{thread_id}")
    async def get_thread(thread_id: UuidId, request: Request) -> Response:
        user = await identity.require(request)
        upstream = await upstreams.persistence.get(
            internal_path("threads", thread_id),
            headers=upstreams.token_headers("persistence", user),
        )
        return Response(
            content=upstream.content,
            status_code=upstream.status_code,
            media_type="application/json",
        )

    @router.post("/project/action")
    async def project_action(body: ActionRequest, request: Request) -> dict[str, Any]:
        user = await identity.require(request)
        session = await owned_session(streams, body.sessionId, user)
        app = await manifest() or AppManifest()
        if not app.has_action(body.action.name):
            raise NotFound(f"No callback found for action {body.action.name}")
        reply_id = uuid.uuid4().hex
        await streams.enqueue(
            ActionInput(
                session_id=session.id,
                thread_id=session.thread_id,
                payload=ActionPayload(action=body.action, reply_id=reply_id),
            )
        )
        reply = await await_reply(
            streams.redis, streams.names, session.id, reply_id, action_timeout
        )
        if reply is None:
            raise ActionTimedOut()
        if not reply.ok:
            raise Refused(reply.status, reply.detail)
        return {"success": True, "response": reply.value}

    return router


def _shown_features(config: AppConfig) -> dict[str, Any]:
    """``[features]`` for the UI: configured MCP servers by name and type only (their
    commands, URLs, headers and env stay on the server), user servers by whether they
    may be added."""
    features = config.features.model_dump(by_alias=True)
    # Voice activity keys only when set: unset, the shape is Chainlit 2.12's.
    features["audio"] = config.features.audio.model_dump(exclude_none=True)
    mcp = features.get("mcp")
    if isinstance(mcp, dict):
        mcp["servers"] = [
            {"name": str(entry.get("name", "")), "type": str(entry.get("type", "stdio"))}
            for entry in config.features.mcp.servers
        ]
        mcp["user_servers"] = {"enabled": user_urls_allowed(config.features.mcp)}
    return features
