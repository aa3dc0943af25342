"""Test app for elements, uploads, history, sharing and feedback, behind header login."""

from pathlib import Path

import switchboard as cl

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8ffff3f0005fe02fea7d6a4f40000000049454e44ae426082"
)


@cl.header_auth_callback
async def header(headers: dict) -> cl.User | None:
    user = headers.get("x-test-user")
    return cl.User(identifier=user) if user else None


@cl.on_chat_resume
async def resumed(thread: dict) -> None:
    pass


@cl.on_shared_thread_view
async def shared_view(thread: dict, viewer: cl.User | None) -> bool:
    # Only threads their owner shared are visible; this hook adds nobody.
    return False


@cl.on_feedback
async def feedback(feedback: cl.Feedback) -> None:
    await cl.Message(content=f"feedback {feedback.value} on {feedback.forId}").send()


@cl.on_message
async def reply(message: cl.Message) -> None:
    text = message.content
    if message.elements:
        parts = [f"{e.name}={Path(e.path).read_text()}" for e in message.elements]
        await cl.Message(content="got " + ", ".join(parts)).send()
    elif text == "image":
        image = cl.Image(name="dot.png", content=PNG, display="inline")
        note = cl.Text(name="note", content="a small note", display="side")
        await cl.Message(content="here is a dot", elements=[image, note]).send()
    elif text == "upload":
        files = await cl.AskFileMessage(
            content="send a text file", accept=["text/plain"], max_size_mb=1, timeout=30
        ).send()
        if files:
            file = files[0]
            body = Path(file.path).read_text()
            await cl.Message(content=f"asked {file.name} {file.type} {file.size} {body}").send()
        else:
            await cl.Message(content="no file").send()
    else:
        await cl.Message(content=f"echo {text}").send()


@cl.on_logout
def logout(request, response):  # type: ignore[no-untyped-def]
    response.delete_cookie("theme")
    who = request.user.identifier if request.user else None
    return {"bye": who, "theme": request.cookies.get("theme")}
