"""Browser-test app for the copilot widget's options: login is required, so the chat in
the widget is signed in only by the host page's accessToken."""

import switchboard as cl


@cl.password_auth_callback
def password(username: str, password: str) -> cl.User | None:
    return None  # nobody signs in with a password: only the token does


@cl.on_chat_start
async def start() -> None:
    user = cl.user_session.get("user")
    name = user.identifier if user else "nobody"
    await cl.Message(content=f"Signed in as {name}.").send()
