"""A tiny real MCP server for the tests, built with the ``mcp`` package.

``python mcp_server.py stdio`` speaks MCP on stdin/stdout;
``python mcp_server.py streamable-http PORT`` (or ``sse PORT``) serves it on
127.0.0.1. The HTTP forms answer ``whoami`` with the bearer token they were sent,
so a test can see headers reach the server.
"""

from __future__ import annotations

import asyncio
import os
import sys

from mcp.server.fastmcp import Context, FastMCP


def build(port: int = 0) -> FastMCP:
    server = FastMCP("switchboard-test-tools", host="127.0.0.1", port=port)

    @server.tool()
    def add(a: int, b: int) -> str:
        """Add two integers."""
        return str(a + b)

    @server.tool()
    def echo(text: str) -> str:
        """Say the text back."""
        return text

    @server.tool()
    def big(size: int) -> str:
        """A text of ``size`` characters (for the result size limit)."""
        return "x" * size

    @server.tool()
    async def slow(seconds: float) -> str:
        """Answer after ``seconds`` (for the time limit)."""
        await asyncio.sleep(seconds)
        return "done"

    @server.tool()
    def env(name: str) -> str:
        """The server process's environment variable ``name`` (stdio env passing)."""
        return os.environ.get(name, "<unset>")

    @server.tool()
    def whoami(ctx: Context) -> str:  # type: ignore[type-arg]
        """The Authorization header of the HTTP request that carried this call."""
        request = ctx.request_context.request
        headers = getattr(request, "headers", None)
        return (headers.get("authorization") if headers else None) or "<none>"

    return server


def main() -> None:
    transport = sys.argv[1] if len(sys.argv) > 1 else "stdio"
    if transport == "stdio":
        build().run("stdio")
        return
    server = build(int(sys.argv[2]))
    if transport == "sse":
        server.run("sse")
    else:
        server.run("streamable-http")


if __name__ == "__main__":
    main()
