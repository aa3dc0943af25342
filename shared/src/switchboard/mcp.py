"""Chainlit's ``chainlit.mcp``: the connection shapes ``on_mcp_connect`` is typed with.

Switchboard does not connect MCP servers yet (``@cl.on_mcp_connect`` is accepted
and never called); these models let apps that annotate with them import.
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
