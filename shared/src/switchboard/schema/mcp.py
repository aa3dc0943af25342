"""MCP server connections: Chainlit's ``/mcp`` bodies, the stored spec, the session inputs.

A connection spec carries secrets (stdio ``env``, HTTP ``headers``). It travels
only between the gateway, the session's Redis state and the worker that opens it;
``public()`` is what may be logged or answered to a client.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from switchboard.mcp import HttpMcpConnection, SseMcpConnection, StdioMcpConnection
from switchboard.schema.envelope import Envelope
from switchboard.schema.ids import UuidId

__all__ = (
    "McpClientType",
    "McpConnectBody",
    "McpConnectInput",
    "McpConnectPayload",
    "McpDisconnectBody",
    "McpDisconnectInput",
    "McpDisconnectPayload",
    "McpName",
    "McpSpec",
)

McpClientType = Literal["stdio", "sse", "streamable-http"]
# A server's name: shown in the UI and the key of ``mcp_sessions``.
McpName = Annotated[str, StringConstraints(min_length=1, max_length=64, strip_whitespace=True)]
_Secrets = dict[str, Annotated[str, StringConstraints(max_length=8192)]]


class McpConnectBody(BaseModel):
    """``POST /mcp`` as Chainlit's UI sends it."""

    model_config = ConfigDict(extra="ignore")

    sessionId: UuidId
    name: McpName
    # Absent with neither fullCommand nor url: a server from ``[[features.mcp.servers]]``
    # (Chainlit 2.12's ``{sessionId, name}``); absent with fullCommand: stdio.
    clientType: McpClientType | None = None
    # stdio: the command line, optionally preceded by ``KEY=value`` assignments.
    fullCommand: Annotated[str, StringConstraints(max_length=8192)] | None = None
    env: _Secrets | None = Field(default=None, max_length=64)
    # sse / streamable-http
    url: Annotated[str, StringConstraints(max_length=2048)] | None = None
    headers: _Secrets | None = Field(default=None, max_length=64)


class McpDisconnectBody(BaseModel):
    """``DELETE /mcp``."""

    model_config = ConfigDict(extra="ignore")

    sessionId: UuidId
    name: McpName


class McpSpec(BaseModel):
    """What a worker needs to open (and re-open) one server of a session."""

    model_config = ConfigDict(frozen=True)

    connection: Annotated[
        StdioMcpConnection | SseMcpConnection | HttpMcpConnection,
        Field(discriminator="clientType"),
    ]
    # stdio only: the child's environment on top of a minimal default (secrets).
    env: dict[str, str] = Field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.connection.name

    @property
    def client_type(self) -> McpClientType:
        return self.connection.clientType

    def public(self) -> dict[str, object]:
        """The spec without secrets: header and env names only, never their values."""
        conn = self.connection
        shown: dict[str, object] = {"name": conn.name, "clientType": conn.clientType}
        if isinstance(conn, StdioMcpConnection):
            shown["command"] = conn.command
            shown["env"] = sorted(self.env)
        else:
            shown["url"] = conn.url
            shown["headers"] = sorted(conn.headers or {})
        return shown


class McpConnectPayload(BaseModel):
    spec: McpSpec
    # The gateway waits on this reply id for the outcome.
    reply_id: str


class McpConnectInput(Envelope):
    """Open a server for the session on the worker that runs it, then ``on_mcp_connect``."""

    type: Literal["mcp_connect"] = "mcp_connect"
    payload: McpConnectPayload


class McpDisconnectPayload(BaseModel):
    name: McpName
    reply_id: str


class McpDisconnectInput(Envelope):
    """``on_mcp_disconnect``, then close the server and forget its spec."""

    type: Literal["mcp_disconnect"] = "mcp_disconnect"
    payload: McpDisconnectPayload
