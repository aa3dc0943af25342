"""Browser-test app with password login."""

import switchboard as cl

USERS = {"alice": "correct horse battery"}


@cl.password_auth_callback
def password(username: str, password: str) -> cl.User | None:
    if USERS.get(username) == password:
        return cl.User(identifier=username)
    return None


@cl.on_chat_start
async def start() -> None:
    user = cl.user_session.get("user")
    await cl.Message(content=f"Welcome {user.identifier if user else 'nobody'}.").send()


@cl.on_message
async def reply(message: cl.Message) -> None:
    await cl.Message(content=f"echo: {message.content}").send()
