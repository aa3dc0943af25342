"""Test app without login callbacks: login comes from the built-in user store."""

import switchboard as cl


@cl.on_message
async def reply(message: cl.Message) -> None:
    user = cl.user_session.get("user")
    await cl.Message(content=f"hi {user.identifier if user else 'anonymous'}").send()
