"""Browser-test app with login and history but no on_chat_resume: a reload goes on
with the live session, and a chat whose session ended can only be read. Replies count
the messages of their session (kept in user_session), which shows which session
answered; the greeting carries an action, which only the session's stream keeps."""

import switchboard as cl


@cl.password_auth_callback
def password(username: str, password: str) -> cl.User | None:
    if password == f"{username}-password":
        return cl.User(identifier=username)
    return None


@cl.on_chat_start
async def start() -> None:
    cl.user_session.set("count", 0)
    ping = cl.Action(name="ping", payload={}, label="Ping")
    await cl.Message(content="Hello, let us talk.", actions=[ping]).send()


@cl.action_callback("ping")
async def on_ping(action: cl.Action) -> None:
    await cl.Message(content=f"pong after {cl.user_session.get('count')} messages").send()


@cl.on_message
async def main(message: cl.Message) -> None:
    count = int(cl.user_session.get("count") or 0) + 1
    cl.user_session.set("count", count)
    if message.content == "toast":
        await cl.context.emitter.send_toast("Toasted once", "success")
    await cl.Message(content=f"#{count} {message.content}").send()
