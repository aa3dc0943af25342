"""The MCP servers this worker holds open for the sessions it runs.

An MCP client session is a live connection (a child process or an HTTP stream)
and cannot travel, so each worker keeps its own. Each server is owned by a task
of its own that enters the transport and the ``ClientSession`` and leaves them
when told to: anyio's cancel scopes must be left by the task that entered them,
and a session's callbacks each run in a different task. Apps get Chainlit's pair
``(ClientSession, AsyncExitStack)``; closing that stack closes the server.

Limits: a time limit on every request (``read_timeout_seconds``, also capping what
an app asks per call), a size limit on every tool result (an oversized one comes
back as an error result), and a cap on the stdio children one worker runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import anyio
import httpx
from mcp import ClientSession, StdioServerParameters
from mcp.client.sse import sse_client
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult, InitializeResult, TextContent

from switchboard.mcp import SseMcpConnection, StdioMcpConnection
from switchboard.schema.mcp import McpSpec

__all__ = (
    "HeldServer",
    "LimitedClientSession",
    "McpCapReached",
    "McpLimits",
    "McpOpenFailed",
    "McpPool",
)

logger = logging.getLogger(__name__)

CLOSE_WAIT_S = 10.0


class McpOpenFailed(Exception):
    """The server could not be reached or did not complete the MCP handshake."""


class McpCapReached(Exception):
    """This worker already runs as many stdio servers as it may."""


@dataclass(frozen=True)
class McpLimits:
    connect_timeout_s: float = 30.0
    call_timeout_s: float = 60.0
    max_result_bytes: int = 1_048_576
    max_stdio: int = 16


class LimitedClientSession(ClientSession):
    """``mcp.ClientSession`` with this worker's per-call time and per-result size limits."""

    def __init__(self, read: Any, write: Any, limits: McpLimits) -> None:
        super().__init__(read, write, read_timeout_seconds=timedelta(seconds=limits.call_timeout_s))
        self._limits = limits

    async def initialize(self) -> InitializeResult:
        """The handshake waits as long as connecting may take, not one call's limit: a
        stdio child starts its interpreter first, a cold HTTP server may be slow."""
        per_call = self._session_read_timeout_seconds
        self._session_read_timeout_seconds = timedelta(seconds=self._limits.connect_timeout_s)
        try:
            return await super().initialize()
        finally:
            self._session_read_timeout_seconds = per_call

    async def call_tool(
        self,
        name: str,
        arguments: dict[str, Any] | None = None,
        read_timeout_seconds: timedelta | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> CallToolResult:
        limit = timedelta(seconds=self._limits.call_timeout_s)
        timeout = min(read_timeout_seconds, limit) if read_timeout_seconds else limit
        result = await super().call_tool(name, arguments, timeout, *args, **kwargs)
        size = len(result.model_dump_json(by_alias=True, exclude_none=True))
        if size > self._limits.max_result_bytes:
            logger.warning("mcp tool result over the limit", extra={"tool": name, "bytes": size})
            text = (
                f"The result of tool {name!r} is {size} bytes, over this server's limit "
                f"of {self._limits.max_result_bytes} bytes."
            )
            return CallToolResult(content=[TextContent(type="text", text=text)], isError=True)
        return result


@dataclass
class HeldServer:
    spec: McpSpec
    session: LimitedClientSession
    # The pair's second half, given to the app: closing it closes the server.
    stack: AsyncExitStack
    owner: asyncio.Task[None]
    closing: asyncio.Event = field(default_factory=asyncio.Event)
    # Its tools' names as last listed (stored beside the spec for the UI's list).
    tools: list[str] = field(default_factory=list)

    @property
    def stdio(self) -> bool:
        return isinstance(self.spec.connection, StdioMcpConnection)


# Errors a transport raises as it is torn down after the real failure.
_AFTERMATH = (anyio.BrokenResourceError, anyio.ClosedResourceError, asyncio.CancelledError)


def _leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in _leaves(inner)]
    return [exc]


def describe(exc: BaseException) -> str:
    """The text of the error that caused ``exc`` (anyio wraps transport errors in groups,
    beside the broken-stream errors of the teardown that followed; a failure inside the
    transport's context is then only the group's context)."""
    leaves = _leaves(exc) or [exc]
    cause = next((leaf for leaf in leaves if not isinstance(leaf, _AFTERMATH)), None)
    earlier = exc.__context__
    while cause is None and earlier is not None:
        cause = next((e for e in _leaves(earlier) if not isinstance(e, _AFTERMATH)), None)
        earlier = earlier.__context__
    cause = cause or leaves[0]
    return str(cause) or type(cause).__name__


@asynccontextmanager
async def _transport(spec: McpSpec) -> AsyncIterator[tuple[Any, Any]]:
    conn = spec.connection
    if isinstance(conn, StdioMcpConnection):
        params = StdioServerParameters(command=conn.command, args=conn.args, env=spec.env or None)
        async with stdio_client(params) as (read, write):
            yield read, write
    elif isinstance(conn, SseMcpConnection):
        async with sse_client(conn.url, headers=conn.headers) as (read, write):
            yield read, write
    else:
        timeout = httpx.Timeout(30.0, read=300.0)
        async with (
            httpx.AsyncClient(headers=conn.headers, timeout=timeout) as http,
            streamable_http_client(conn.url, http_client=http) as (read, write, _),
        ):
            yield read, write


class McpPool:
    """Session id -> name -> the server this worker holds for it."""

    def __init__(self, limits: McpLimits) -> None:
        self.limits = limits
        self._held: dict[str, dict[str, HeldServer]] = {}
        # What apps see as ``mcp_sessions``: kept in step with ``_held``.
        self._views: dict[str, dict[str, tuple[Any, Any]]] = {}

    def view(self, session_id: str) -> dict[str, tuple[Any, Any]]:
        """The session's ``mcp_sessions`` dict (the same object on every call)."""
        return self._views.setdefault(session_id, {})

    def specs(self, session_id: str) -> dict[str, McpSpec]:
        return {name: held.spec for name, held in self._held.get(session_id, {}).items()}

    def sessions(self) -> list[str]:
        return [sid for sid, servers in self._held.items() if servers]

    @property
    def stdio_count(self) -> int:
        return sum(held.stdio for servers in self._held.values() for held in servers.values())

    async def open(self, session_id: str, spec: McpSpec) -> HeldServer:
        """Connect ``spec`` for the session; the caller has closed any of the same name."""
        if isinstance(spec.connection, StdioMcpConnection) and (
            self.stdio_count >= self.limits.max_stdio
        ):
            raise McpCapReached(
                f"This worker already runs {self.limits.max_stdio} stdio MCP servers; "
                "try again later."
            )
        ready: asyncio.Future[LimitedClientSession] = asyncio.get_running_loop().create_future()
        closing = asyncio.Event()
        owner = asyncio.create_task(self._own(session_id, spec, ready, closing))
        try:
            session = await asyncio.wait_for(asyncio.shield(ready), self.limits.connect_timeout_s)
        except TimeoutError as exc:
            owner.cancel()
            raise McpOpenFailed(f"no answer within {self.limits.connect_timeout_s:g} s") from exc
        except Exception as exc:
            raise McpOpenFailed(describe(exc)) from exc
        stack = AsyncExitStack()
        held = HeldServer(spec, session, stack, owner, closing)
        stack.push_async_callback(self._close_held, session_id, held)
        self._held.setdefault(session_id, {})[spec.name] = held
        self.view(session_id)[spec.name] = (session, stack)
        logger.info("mcp server opened", extra={"session_id": session_id, "mcp": spec.public()})
        return held

    async def _own(
        self,
        session_id: str,
        spec: McpSpec,
        ready: asyncio.Future[LimitedClientSession],
        closing: asyncio.Event,
    ) -> None:
        """Hold the server's contexts open in this one task until told to close."""
        try:
            async with AsyncExitStack() as stack:
                read, write = await stack.enter_async_context(_transport(spec))
                session = await stack.enter_async_context(
                    LimitedClientSession(read, write, self.limits)
                )
                await session.initialize()
                if not ready.done():
                    ready.set_result(session)
                await closing.wait()
        except asyncio.CancelledError:
            if not ready.done():
                ready.cancel()
        except BaseException as exc:  # the transport's errors arrive as exception groups
            if not ready.done():
                logger.warning(
                    "mcp server did not open",
                    extra={"session_id": session_id, "mcp_server": spec.name},
                    exc_info=exc,
                )
                ready.set_exception(McpOpenFailed(describe(exc)))
            else:
                logger.warning(
                    "mcp server connection lost",
                    extra={
                        "session_id": session_id,
                        "mcp_server": spec.name,
                        "error": describe(exc),
                    },
                )
        finally:
            self._forget(session_id, spec.name, closing)

    def _forget(self, session_id: str, name: str, closing: asyncio.Event) -> None:
        servers = self._held.get(session_id, {})
        held = servers.get(name)
        if held is not None and held.closing is closing:
            del servers[name]
            self._views.get(session_id, {}).pop(name, None)
            if not servers:
                self._held.pop(session_id, None)

    async def _close_held(self, session_id: str, held: HeldServer) -> None:
        held.closing.set()
        try:
            await asyncio.wait_for(asyncio.shield(held.owner), CLOSE_WAIT_S)
        except TimeoutError:
            held.owner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await held.owner
        except Exception:
            logger.warning("mcp server closed with an error", extra={"session_id": session_id})
        self._forget(session_id, held.spec.name, held.closing)
        logger.info(
            "mcp server closed", extra={"session_id": session_id, "mcp_server": held.spec.name}
        )

    def get(self, session_id: str, name: str) -> HeldServer | None:
        return self._held.get(session_id, {}).get(name)

    async def close(self, session_id: str, name: str) -> None:
        held = self.get(session_id, name)
        if held is not None:
            await self._close_held(session_id, held)

    async def close_session(self, session_id: str) -> None:
        for name in list(self._held.get(session_id, {})):
            await self.close(session_id, name)
        self._views.pop(session_id, None)

    async def close_all(self) -> None:
        for session_id in list(self._held):
            await self.close_session(session_id)
