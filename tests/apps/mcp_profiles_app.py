"""Test app: chat profiles whose ``config_overrides`` narrow ``[features.mcp]``.

``open`` keeps the app's MCP config, ``no-stdio`` turns stdio servers off, ``no-mcp``
turns MCP off. ``tools`` answers the names of the connected servers.
"""

import json

import chainlit as cl


@cl.header_auth_callback
async def header(headers: dict) -> cl.User | None:
    user = headers.get("x-test-user")
    return cl.User(identifier=user) if user else None


@cl.set_chat_profiles
async def profiles(user: cl.User | None, language: str | None = None) -> list[cl.ChatProfile]:
    return [
        cl.ChatProfile(name="open", markdown_description="The app's MCP config."),
        cl.ChatProfile(
            name="no-stdio",
            markdown_description="No stdio servers.",
            config_overrides={"features": {"mcp": {"stdio": {"enabled": False}}}},
        ),
        cl.ChatProfile(
            name="no-mcp",
            markdown_description="No MCP at all.",
            config_overrides={"features": {"mcp": {"enabled": False}}},
        ),
    ]


@cl.on_message
async def main(message: cl.Message) -> None:
    if message.content == "tools":
        await cl.Message(content=json.dumps(sorted(cl.context.session.mcp_sessions))).send()
