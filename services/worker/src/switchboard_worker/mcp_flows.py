"""A session's MCP servers on the worker that runs it: connect, disconnect, follow, end.

The session's Redis state lists its servers' specs (``SessionState.mcp_specs``);
this worker's ``McpPool`` holds the live connections. Before each input the
worker makes what it holds match the list: a server listed but not held here
(the session moved from a drained or dead worker) is opened again and
``on_mcp_connect`` runs again, and the user is told; then it announces on the
control channel that it holds the session's servers, so a worker that held them
before closes its own. Secrets in a spec are never logged: logs carry
``McpSpec.public()``.
"""

from __future__ import annotations

import logging
from typing import Any

from switchboard.mcp_policy import McpRefused, check_spec, configured_specs
from switchboard.replies import send_reply
from switchboard.schema.control import McpRelease, McpReleasePayload
from switchboard.schema.jobs import Reply
from switchboard.schema.mcp import McpConnectInput, McpDisconnectInput, McpSpec
from switchboard.sdk.callbacks import call_user_function
from switchboard.sdk.context import SessionContext
from switchboard.sdk.message import ErrorMessage, Message
from switchboard.sealing import SealError, SecretSealer
from switchboard_worker.base import RunnerBase
from switchboard_worker.mcp_pool import McpCapReached, McpOpenFailed, McpPool, describe

__all__ = ("HOLDER_TTL_S", "McpFlows")

logger = logging.getLogger(__name__)

# The holder key lapses this long after its worker stops refreshing it (it died).
HOLDER_TTL_S = 30


class _HookFailed(Exception):
    """``on_mcp_connect`` raised: the server is closed again and the request refused."""


class McpFlows(RunnerBase):
    mcp: McpPool
    worker_id: str
    sealer: SecretSealer

    async def _mcp_follow(self, ctx: SessionContext, stored: dict[str, McpSpec]) -> None:
        """Hold exactly the session's stored servers here, re-opening what moved.

        ``stored`` is as read from Redis, its secrets sealed."""
        sid = ctx.session_id
        unreadable: dict[str, str] = {}
        opened: dict[str, McpSpec] = {}
        for name, sealed in stored.items():
            try:
                opened[name] = self.sealer.open_spec(sealed)
            except SealError as exc:
                unreadable[name] = str(exc)
        stored = opened
        for name, spec in self.mcp.specs(sid).items():
            if stored.get(name) != spec:  # removed or replaced while the session ran elsewhere
                await self.mcp.close(sid, name)
        missing = [spec for name, spec in stored.items() if self.mcp.get(sid, name) is None]
        if not missing and not unreadable:
            return
        await self._announce_holder(sid)
        reopened: list[str] = []
        failed: dict[str, str] = dict(unreadable)
        for spec in missing:
            try:
                check_spec(ctx.session_config.features.mcp, spec)
                await self._open(ctx, spec)
                reopened.append(spec.name)
            except (McpRefused, McpOpenFailed, McpCapReached, _HookFailed) as exc:
                logger.warning(
                    "mcp server not reopened",
                    extra={"session_id": sid, "mcp": spec.public(), "error": str(exc)},
                )
                failed[spec.name] = str(exc)
        if failed:  # not tried again at every input: the user connects them again
            kept = {name: spec for name, spec in stored.items() if name not in failed}
            await self.state.save_mcp_specs(sid, self.sealer.seal_specs(kept), self._tools(sid))
        logger.info(
            "mcp servers reopened",
            extra={"session_id": sid, "reopened": reopened, "failed": len(failed)},
        )
        if reopened:
            await Message(
                content="This conversation moved to another worker; MCP servers reconnected: "
                + ", ".join(reopened)
                + ".",
                author="MCP",
            ).send()
        if failed:
            await ErrorMessage(
                content="Could not reconnect MCP servers after this conversation moved: "
                + "; ".join(f"{name} ({error})" for name, error in failed.items())
                + ". Connect them again.",
                author="MCP",
            ).send()

    async def _mcp_connect(self, ctx: SessionContext, item: McpConnectInput) -> None:
        try:
            spec = self.sealer.open_spec(item.payload.spec)
        except SealError as exc:
            reply = Reply(ok=False, status=400, detail=f"The MCP request cannot be read: {exc}")
            await self._mcp_reply(ctx, item.payload.reply_id, reply)
            return
        try:
            check_spec(ctx.session_config.features.mcp, spec)
            held = self.mcp.get(ctx.session_id, spec.name)
            if held is not None and held.spec == spec and self._configured(ctx, spec):
                # A configured server opened at chat start: the UI asks for its tools.
                listed = await held.session.list_tools()
                reply = Reply(
                    ok=True,
                    value={
                        **_shown(spec, configured=True),
                        "tools": [{"name": t.name} for t in listed.tools],
                    },
                )
                await self._mcp_reply(ctx, item.payload.reply_id, reply)
                return
            if held is not None:
                await self._disconnect(ctx, spec.name)  # Chainlit replaces a same-name server
            tools = await self._open(ctx, spec)
            await self._save_specs(ctx.session_id)
            await self._announce_holder(ctx.session_id)
            shown = _shown(spec, configured=self._configured(ctx, spec))
            reply = Reply(ok=True, value={**shown, "tools": tools})
        except McpRefused as exc:
            reply = Reply(ok=False, status=400, detail=str(exc))
        except McpCapReached as exc:
            reply = Reply(ok=False, status=503, detail=str(exc))
        except (McpOpenFailed, _HookFailed) as exc:
            reply = Reply(
                ok=False, status=400, detail=f"Could not connect to the MCP server: {exc}"
            )
        await self._mcp_reply(ctx, item.payload.reply_id, reply)

    async def _mcp_configured(self, ctx: SessionContext) -> None:
        """Chat start: open the ``[[features.mcp.servers]]`` not held yet, then store them."""
        config = ctx.session_config.features.mcp
        if not config.enabled or not config.servers:
            return
        sid = ctx.session_id
        failed: dict[str, str] = {}
        opened: list[str] = []
        try:
            specs = configured_specs(config)
        except McpRefused as exc:
            specs = {}
            failed["features.mcp.servers"] = str(exc)
        for spec in specs.values():
            if self.mcp.get(sid, spec.name) is not None:
                continue
            try:
                await self._open(ctx, spec)
                opened.append(spec.name)
            except (McpOpenFailed, McpCapReached, _HookFailed) as exc:
                logger.warning(
                    "configured mcp server not opened",
                    extra={"session_id": sid, "mcp": spec.public(), "error": str(exc)},
                )
                failed[spec.name] = str(exc)
        if opened:
            await self._save_specs(sid)
            await self._announce_holder(sid)
        if failed:
            await ErrorMessage(
                content="Could not connect MCP servers: "
                + "; ".join(f"{name} ({error})" for name, error in failed.items())
                + ".",
                author="MCP",
            ).send()

    @staticmethod
    def _configured(ctx: SessionContext, spec: McpSpec) -> bool:
        try:
            return configured_specs(ctx.session_config.features.mcp).get(spec.name) == spec
        except McpRefused:
            return False

    async def _mcp_disconnect(self, ctx: SessionContext, item: McpDisconnectInput) -> None:
        name = item.payload.name
        if self.mcp.get(ctx.session_id, name) is None:
            reply = Reply(ok=False, status=404, detail=f"MCP server {name!r} not found")
        else:
            try:
                await self._disconnect(ctx, name)
                reply = Reply(ok=True)
            except _HookFailed as exc:
                reply = Reply(ok=False, status=400, detail=str(exc))
            await self._save_specs(ctx.session_id)
        await self._mcp_reply(ctx, item.payload.reply_id, reply)

    async def _mcp_end(self, session_id: str) -> None:
        """The session ended: close its servers here and on every other worker."""
        await self.mcp.close_session(session_id)
        await self._publish_release(session_id, None)

    async def mcp_release(self, message: McpRelease) -> None:
        """Another worker holds the session's servers now (or it ended): close ours."""
        if message.payload.holder == self.worker_id or message.session_id in self.running:
            return
        if self.mcp.specs(message.session_id):
            await self.mcp.close_session(message.session_id)
            logger.info("mcp servers released", extra={"session_id": message.session_id})

    async def mcp_refresh_holders(self) -> None:
        """Keep this worker named as the holder of the sessions whose servers it holds."""
        sessions = self.mcp.sessions()
        if not sessions:
            return
        async with self.streams.redis.pipeline(transaction=False) as pipe:
            for sid in sessions:
                pipe.set(self.streams.names.mcp_holder(sid), self.worker_id, ex=HOLDER_TTL_S)
            await pipe.execute()

    async def mcp_shutdown(self) -> None:
        """Drain: close every server and stop naming this worker their holder."""
        sessions = self.mcp.sessions()
        await self.mcp.close_all()
        if sessions:
            await self.streams.redis.delete(*(self.streams.names.mcp_holder(s) for s in sessions))

    async def _open(self, ctx: SessionContext, spec: McpSpec) -> list[dict[str, str]]:
        """Open ``spec`` here, list its tools and run ``on_mcp_connect``."""
        held = await self.mcp.open(ctx.session_id, spec)
        try:
            listed = await held.session.list_tools()
            hook = self.app.get("on_mcp_connect")
            if hook is not None:
                await call_user_function(hook, spec.connection, held.session)
        except Exception as exc:
            await self.mcp.close(ctx.session_id, spec.name)
            logger.warning(
                "on_mcp_connect failed",
                extra={"session_id": ctx.session_id, "mcp_server": spec.name, "error": str(exc)},
            )
            raise _HookFailed(describe(exc)) from exc
        held.tools = sorted(tool.name for tool in listed.tools)
        return [{"name": tool.name} for tool in listed.tools]

    async def _disconnect(self, ctx: SessionContext, name: str) -> None:
        held = self.mcp.get(ctx.session_id, name)
        if held is None:
            return
        hook = self.app.get("on_mcp_disconnect")
        error: Exception | None = None
        if hook is not None:
            try:
                await call_user_function(hook, name, held.session)
            except Exception as exc:
                logger.warning(
                    "on_mcp_disconnect failed",
                    extra={"session_id": ctx.session_id, "mcp_server": name, "error": str(exc)},
                )
                error = exc
        await self.mcp.close(ctx.session_id, name)
        if error is not None:
            raise _HookFailed(f"on_mcp_disconnect failed: {describe(error)}")

    async def _announce_holder(self, session_id: str) -> None:
        await self.streams.redis.set(
            self.streams.names.mcp_holder(session_id), self.worker_id, ex=HOLDER_TTL_S
        )
        await self._publish_release(session_id, self.worker_id)

    async def _publish_release(self, session_id: str, holder: str | None) -> None:
        message = McpRelease(session_id=session_id, payload=McpReleasePayload(holder=holder))
        await self.streams.publish_control(message)

    async def _save_specs(self, session_id: str) -> None:
        """Store the servers held here for the session, secrets sealed, with their tools."""
        specs = self.sealer.seal_specs(self.mcp.specs(session_id))
        await self.state.save_mcp_specs(session_id, specs, self._tools(session_id))

    def _tools(self, session_id: str) -> dict[str, list[str]]:
        held = (self.mcp.get(session_id, name) for name in self.mcp.specs(session_id))
        return {server.spec.name: server.tools for server in held if server is not None}

    async def _mcp_reply(self, ctx: SessionContext, reply_id: str, reply: Reply) -> None:
        await send_reply(self.streams.redis, self.streams.names, ctx.session_id, reply_id, reply)


def _shown(spec: McpSpec, configured: bool = False) -> dict[str, Any]:
    """The ``mcp`` object of Chainlit's answer, without header or env values; a
    configured server by name and type only (its command or URL is the operator's)."""
    shown = spec.public()
    conn = spec.connection
    if conn.clientType == "stdio":
        shown["command"] = " ".join([conn.command, *getattr(conn, "args", [])])
    shown.pop("env", None)
    shown.pop("headers", None)
    if configured:  # Chainlit names a configured server's transport ``type``
        shown.pop("command", None)
        shown.pop("url", None)
        shown["type"] = conn.clientType
    shown["isUserProvided"] = not configured
    return shown
