"""An agent over MCP tools: it learns each connected server's tools and calls the one a
message asks for, showing the call as a tool step.

Turn MCP on in ``config.toml`` and allow the executables users may start::

    [features.mcp]
    enabled = true

    [features.mcp.stdio]
    allowed_executables = ["python3"]

Then connect a server (the MCP button beside the message box, or ``POST /mcp``), e.g.
the test suite's offline one: ``python3 tests/support/mcp_server.py stdio``. Or have
every chat start with it connected::

    [[features.mcp.servers]]
    name = "tests"
    type = "stdio"
    command = "python3 tests/support/mcp_server.py stdio"

Messages: ``tools`` lists what is connected; ``<tool> <json arguments>`` calls a tool,
e.g. ``add {"a": 1, "b": 2}``.
"""

import json

from mcp import ClientSession

import switchboard as cl
from switchboard.mcp import McpConnection


@cl.on_chat_start
async def start() -> None:
    await cl.Message(content="Connect an MCP server, then ask for `tools`.").send()


@cl.on_mcp_connect
async def connected(connection: McpConnection, session: ClientSession) -> None:
    listed = await session.list_tools()
    tools = cl.user_session.get("tools") or {}
    # JSON only, so every worker sees it; the live session is in mcp_sessions.
    tools[connection.name] = {tool.name: tool.description or "" for tool in listed.tools}
    cl.user_session.set("tools", tools)


@cl.on_mcp_disconnect
async def disconnected(name: str, session: ClientSession) -> None:
    tools = cl.user_session.get("tools") or {}
    tools.pop(name, None)
    cl.user_session.set("tools", tools)


def _server_of(tool: str) -> str | None:
    tools = cl.user_session.get("tools") or {}
    return next((server for server, named in tools.items() if tool in named), None)


@cl.on_message
async def main(message: cl.Message) -> None:
    tools = cl.user_session.get("tools") or {}
    name, _, rest = message.content.strip().partition(" ")
    if name == "tools" or not name:
        lines = [f"- `{s}.{t}`: {d}" for s, named in tools.items() for t, d in named.items()]
        await cl.Message(content="\n".join(lines) or "No MCP server is connected.").send()
        return
    server = _server_of(name)
    if server is None or server not in cl.context.session.mcp_sessions:
        await cl.Message(content=f"No connected server has a tool called `{name}`.").send()
        return
    try:
        arguments = json.loads(rest) if rest.strip() else {}
    except json.JSONDecodeError as exc:
        await cl.Message(content=f"The arguments are not JSON: {exc}").send()
        return
    session, _ = cl.context.session.mcp_sessions[server]
    async with cl.Step(name=name, type="tool") as step:
        step.input = arguments
        result = await session.call_tool(name, arguments)
        step.output = "".join(getattr(part, "text", "") for part in result.content)
    prefix = "The tool failed: " if result.isError else ""
    await cl.Message(content=f"{prefix}{step.output}").send()
