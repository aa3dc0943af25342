"""Test app for MCP, written as Chainlit's MCP docs write it: ``on_mcp_connect`` lists
the server's tools into ``user_session``; ``on_message`` calls one as a tool step.

Messages: ``tools`` answers the tools per server and the names in ``mcp_sessions``;
``call <server> <tool> <json arguments>`` calls a tool and answers its text.
"""

import json

import chainlit as cl
from chainlit.mcp import McpConnection
from mcp import ClientSession


@cl.header_auth_callback
async def header(headers: dict) -> cl.User | None:
    user = headers.get("x-test-user")
    return cl.User(identifier=user) if user else None


@cl.on_mcp_connect
async def on_mcp(connection: McpConnection, session: ClientSession) -> None:
    listed = await session.list_tools()
    tools = cl.user_session.get("mcp_tools") or {}
    tools[connection.name] = sorted(tool.name for tool in listed.tools)
    cl.user_session.set("mcp_tools", tools)
    connects = cl.user_session.get("mcp_connects") or 0
    cl.user_session.set("mcp_connects", connects + 1)


@cl.on_mcp_disconnect
async def on_mcp_disconnect(name: str, session: ClientSession) -> None:
    tools = cl.user_session.get("mcp_tools") or {}
    tools.pop(name, None)
    cl.user_session.set("mcp_tools", tools)


@cl.on_message
async def main(message: cl.Message) -> None:
    words = message.content.split(" ", 3)
    if words[0] == "tools":
        held = sorted(cl.context.session.mcp_sessions)
        answer = {
            "tools": cl.user_session.get("mcp_tools") or {},
            "held": held,
            "connects": cl.user_session.get("mcp_connects") or 0,
        }
        await cl.Message(content=json.dumps(answer, sort_keys=True)).send()
        return
    if words[0] == "call" and len(words) >= 3:
        server, tool = words[1], words[2]
        arguments = json.loads(words[3]) if len(words) > 3 else {}
        session, _ = cl.context.session.mcp_sessions[server]
        async with cl.Step(name=tool, type="tool") as step:
            step.input = arguments
            try:
                result = await session.call_tool(tool, arguments)
                text = "".join(getattr(part, "text", "") for part in result.content)
                step.output = text
                outcome = f"error: {text}" if result.isError else f"result: {text}"
            except Exception as exc:
                step.output = f"failed: {exc}"
                outcome = f"failed: {exc}"
        await cl.Message(content=outcome).send()
        return
    await cl.Message(content=f"unknown: {message.content}").send()
