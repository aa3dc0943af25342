"""Test app for the cross-user suite: two password users, each with files, asks, actions,
feedback and threads of their own. Every reply names the user whose session ran it."""

from pathlib import Path

import switchboard as cl

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8ffff3f0005fe02fea7d6a4f40000000049454e44ae426082"
)
PASSWORDS = {"alice": "alice-passphrase-31", "bob": "bob-passphrase-47"}


@cl.password_auth_callback
def password(username: str, password: str) -> cl.User | None:
    if PASSWORDS.get(username) == password:
        return cl.User(identifier=username)
    return None


def _who() -> str:
    user = cl.user_session.get("user")
    return user.identifier if user else "anonymous"


@cl.on_chat_resume
async def resumed(thread: dict) -> None:
    await cl.Message(content=f"resumed for {_who()}").send()


@cl.on_shared_thread_view
async def shared_view(thread: dict, viewer: cl.User | None) -> bool:
    # Only threads their owner shared are visible; this hook adds nobody.
    return False


@cl.on_feedback
async def feedback(feedback: cl.Feedback) -> None:
    await cl.Message(content=f"feedback {feedback.value} on {feedback.forId} for {_who()}").send()


@cl.on_window_message
async def window(data: object) -> None:
    await cl.Message(content=f"window for {_who()}").send()


@cl.on_settings_update
async def settings(values: dict) -> None:
    await cl.Message(content=f"settings for {_who()}").send()


@cl.on_stop
async def stopped() -> None:
    await cl.Message(content=f"stopped for {_who()}").send()


@cl.action_callback("reveal")
async def reveal(action: cl.Action) -> str:
    await cl.Message(content=f"revealed {action.payload.get('secret')} to {_who()}").send()
    return f"revealed to {_who()}"


@cl.on_message
async def reply(message: cl.Message) -> None:
    text = message.content
    who = _who()
    if message.elements:
        parts = [f"{e.name}={Path(e.path).read_text()}" for e in message.elements]
        await cl.Message(content=f"got {', '.join(parts)} for {who}").send()
    elif text.startswith("image"):
        async with cl.Step(name="draw", type="tool") as step:
            step.output = f"drawn for {who}"
        image = cl.Image(name="dot.png", content=PNG, display="inline")
        note = cl.Text(name="note", content=f"note of {who}", display="side")
        action = cl.Action(name="reveal", payload={"secret": f"{who}-secret"}, label="Reveal")
        await cl.Message(
            content=f"here is a dot for {who}", elements=[image, note], actions=[action]
        ).send()
    elif text == "ask file":
        files = await cl.AskFileMessage(
            content="send a text file", accept=["text/plain"], max_size_mb=1, timeout=600
        ).send()
        if files:
            body = Path(files[0].path).read_text()
            await cl.Message(content=f"asked {files[0].name}={body} for {who}").send()
        else:
            await cl.Message(content=f"no file for {who}").send()
    else:
        await cl.Message(content=f"echo {text} for {who}").send()
