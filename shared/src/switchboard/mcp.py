"""Chainlit's ``chainlit.mcp``: the connection shapes ``on_mcp_connect`` receives.

The worker holding a session passes one of these to ``@cl.on_mcp_connect``; the
stored spec around it is ``switchboard.schema.mcp.McpSpec``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

__all__ = (
    "HttpMcpConnection",
    "McpConnection",
    "McpDestinationError",
    "SseMcpConnection",
    "StdioMcpConnection",
)


class StdioMcpConnection(BaseModel):
    name: str
    command: str
    args: list[str]
    clientType: Literal["stdio"] = "stdio"


class SseMcpConnection(BaseModel):
    name: str
    url: str
    headers: dict[str, str] | None = None
    clientType: Literal["sse"] = "sse"


class HttpMcpConnection(BaseModel):
    name: str
    url: str
    headers: dict[str, str] | None = None
    clientType: Literal["streamable-http"] = "streamable-http"


McpConnection = StdioMcpConnection | SseMcpConnection | HttpMcpConnection


class McpDestinationError(Exception):
    """An MCP server address that is not allowed."""
