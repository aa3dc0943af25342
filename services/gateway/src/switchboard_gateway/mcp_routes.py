"""``POST /mcp`` and ``DELETE /mcp``: connect or remove a session's MCP server.

The gateway holds no MCP connection. It checks the caller owns the session and
that ``[features.mcp]`` allows the server, then queues the request in the
session's inbox: the worker that runs the session opens (or closes) the server,
calls the app's hook and answers on a reply list this route waits on.
"""

from __future__ import annotations

import logging
import shlex
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request

from switchboard import replies
from switchboard.app_calls import AppCallTimeout, call_app
from switchboard.config import AppConfig, McpConfig, apply_overrides
from switchboard.mcp import StdioMcpConnection
from switchboard.mcp_policy import (
    DISABLED,
    McpRefused,
    check_spec,
    configured_specs,
    spec_from_body,
)
from switchboard.schema.app_calls import ChatProfilesCall
from switchboard.schema.ids import UuidId
from switchboard.schema.jobs import Reply
from switchboard.schema.manifest import AppManifest
from switchboard.schema.mcp import (
    McpConnectBody,
    McpConnectInput,
    McpConnectPayload,
    McpDisconnectBody,
    McpDisconnectInput,
    McpDisconnectPayload,
)
from switchboard.schema.session import SessionRecord
from switchboard.sealing import SecretSealer
from switchboard.session_state import SessionState
from switchboard.streams import Streams
from switchboard_gateway.errors import ActionTimedOut, AppUnavailable, BadRequest, Refused
from switchboard_gateway.identity import GatewayIdentity
from switchboard_gateway.session_access import owned_session

__all__ = ("build_mcp_router",)

logger = logging.getLogger(__name__)


class McpTimedOut(ActionTimedOut):
    default_detail = "The MCP request did not complete in time"


def build_mcp_router(
    *,
    config: AppConfig,
    identity: GatewayIdentity,
    streams: Streams,
    timeout: float,
    sealer: SecretSealer,
    manifest: Callable[[], Awaitable[AppManifest | None]] | None = None,
    app_call_timeout: float = 10.0,
) -> APIRouter:
    router = APIRouter()

    async def session_mcp(session: SessionRecord) -> McpConfig:
        """``[features.mcp]`` for the session: its chat profile's ``config_overrides``
        applied, as the worker applies them (so a profile can narrow or turn MCP off)."""
        if not session.chat_profile or manifest is None:
            return config.features.mcp
        app = await manifest()
        if app is None or not app.has("set_chat_profiles"):
            return config.features.mcp
        call = ChatProfilesCall(user=session.user, language=session.language)
        try:
            reply = await call_app(streams, call, timeout=app_call_timeout)
        except AppCallTimeout as exc:
            raise AppUnavailable() from exc
        for profile in reply.value or []:
            if isinstance(profile, dict) and profile.get("name") == session.chat_profile:
                overrides = profile.get("config_overrides")
                if overrides:
                    return apply_overrides(config, overrides).features.mcp
        return config.features.mcp

    async def await_reply(session: SessionRecord, reply_id: str) -> Reply:
        reply = await replies.await_reply(
            streams.redis, streams.names, session.id, reply_id, timeout
        )
        if reply is None:
            raise McpTimedOut()
        if not reply.ok:
            raise Refused(reply.status, reply.detail)
        return reply

    @router.post("/mcp")
    async def connect_mcp(body: McpConnectBody, request: Request) -> dict[str, Any]:
        user = await identity.require(request)
        session = await owned_session(streams, body.sessionId, user)
        mcp = await session_mcp(session)
        try:
            spec = spec_from_body(body, mcp)
            check_spec(mcp, spec)
        except McpRefused as exc:
            raise BadRequest(str(exc)) from exc
        reply_id = uuid.uuid4().hex
        await streams.enqueue(
            McpConnectInput(
                session_id=session.id,
                thread_id=session.thread_id,
                # Header and env values cross Redis sealed (switchboard.sealing).
                payload=McpConnectPayload(spec=sealer.seal_spec(spec), reply_id=reply_id),
            )
        )
        logger.info("mcp connect queued", extra={"session_id": session.id, "mcp": spec.public()})
        reply = await await_reply(session, reply_id)
        return {"success": True, "mcp": reply.value}

    @router.get("/mcp")
    async def list_mcp(sessionId: UuidId, request: Request) -> dict[str, Any]:
        """Switchboard only: the session's servers as stored, for a UI that rejoins it."""
        user = await identity.require(request)
        session = await owned_session(streams, sessionId, user)
        mcp = await session_mcp(session)
        if not mcp.enabled:
            raise BadRequest(DISABLED)
        try:
            configured = {name.casefold() for name in configured_specs(mcp)}
        except McpRefused:
            configured = set()
        servers: list[dict[str, Any]] = []
        for spec, tools in await SessionState(streams.redis, streams.names).mcp_servers(session.id):
            shown = spec.public()  # names of headers and env, never their values
            shown.pop("env", None)
            shown.pop("headers", None)
            if isinstance(spec.connection, StdioMcpConnection):
                shown["command"] = shlex.join([spec.connection.command, *spec.connection.args])
            user_provided = spec.name.casefold() not in configured
            if not user_provided:
                shown.pop("url", None)
                shown.pop("command", None)
                shown["type"] = spec.client_type
            servers.append(
                {**shown, "isUserProvided": user_provided, "tools": [{"name": t} for t in tools]}
            )
        return {"servers": servers}

    @router.delete("/mcp")
    async def disconnect_mcp(body: McpDisconnectBody, request: Request) -> dict[str, Any]:
        user = await identity.require(request)
        session = await owned_session(streams, body.sessionId, user)
        if not (await session_mcp(session)).enabled:
            raise BadRequest(DISABLED)
        reply_id = uuid.uuid4().hex
        await streams.enqueue(
            McpDisconnectInput(
                session_id=session.id,
                thread_id=session.thread_id,
                payload=McpDisconnectPayload(name=body.name, reply_id=reply_id),
            )
        )
        await await_reply(session, reply_id)
        return {"success": True}

    return router
