"""Test app whose header login hands out the role the request asks for."""

import switchboard as cl


@cl.header_auth_callback
async def header(headers: dict) -> cl.User | None:
    user = headers.get("x-test-user")
    role = headers.get("x-test-role", "viewer")
    return cl.User(identifier=user, metadata={"role": role}) if user else None


@cl.on_message
async def reply(message: cl.Message) -> None:
    user = cl.user_session.get("user")
    await cl.Message(content=f"hi {user.identifier} ({user.metadata.get('role')})").send()
