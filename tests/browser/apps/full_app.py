"""Browser-test app with login and history: asks, steps, elements, uploads, profiles.

Every thread is persisted (users in USERS, password "<name>-password"); ``on_chat_resume`` makes threads
resumable and ``on_shared_thread_view`` enables sharing (with the config's
``allow_thread_sharing``). Chat profiles change ``ui.cot``.
"""

import base64
import json
from pathlib import Path
from typing import Any

import switchboard as cl

# Each test signs in as its own user, so that histories do not mix.
USERS = {"alice", "bob", "hana", "sam", "gerd"}

# A 2x2 red PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg=="
)
# A one-page PDF.
PDF = b"""%PDF-1.1
1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj
2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj
3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]>>endobj
trailer<</Root 1 0 R>>
%%EOF
"""
FRAME = {"columns": ["city", "people"], "index": [0, 1], "data": [["Lyon", 522], ["Nice", 342]]}


@cl.password_auth_callback
def password(username: str, password: str) -> cl.User | None:
    if username in USERS and password == f"{username}-password":
        return cl.User(identifier=username)
    return None


@cl.set_chat_profiles
async def profiles(user: cl.User | None, language: str | None) -> list[cl.ChatProfile]:
    return [
        cl.ChatProfile(name="Full", markdown_description="Every step.", default=True),
        cl.ChatProfile(
            name="Tools",
            markdown_description="Tool calls only.",
            config_overrides={"ui": {"cot": "tool_call"}},
        ),
        cl.ChatProfile(
            name="Hidden",
            markdown_description="No steps.",
            config_overrides={"ui": {"cot": "hidden"}},
        ),
    ]


@cl.on_chat_start
async def start() -> None:
    user = cl.user_session.get("user")
    profile = cl.user_session.get("chat_profile")
    await cl.Message(content=f"Ready, {user.identifier if user else 'nobody'} ({profile}).").send()


@cl.on_chat_resume
async def resume(thread: dict[str, Any]) -> None:
    cl.user_session.set("resumed", thread["id"])


@cl.on_shared_thread_view
async def shared_view(thread: dict[str, Any], viewer: cl.User | None) -> bool:
    return False


async def ask_file() -> None:
    files = await cl.AskFileMessage(
        content="Send a text file", accept=["text/plain"], max_size_mb=1, timeout=60
    ).send()
    if not files:
        await cl.Message(content="no file").send()
        return
    first = files[0]
    text = Path(first.path).read_text()
    await cl.Message(content=f"got {first.name} ({first.size} bytes): {text.strip()}").send()


async def ask_form() -> None:
    form = cl.CustomElement(name="Booking", props={"guest": "Ada", "nights": 2, "breakfast": False})
    answer = await cl.AskElementMessage(content="Fill the booking", element=form, timeout=60).send()
    if not answer or not answer.get("submitted"):
        await cl.Message(content="booking cancelled").send()
        return
    await cl.Message(
        content=f"booked for {answer['guest']}, {answer['nights']} nights, "
        f"breakfast={answer['breakfast']}"
    ).send()


async def steps() -> None:
    async with cl.Step(name="lookup", type="tool") as tool:
        tool.input = "weather in Lyon"
        async with cl.Step(name="draft", type="llm") as llm:
            llm.input = "summarise"
            llm.output = "sunny, 21 C"
        tool.output = "found 1 forecast"
    async with cl.Step(name="plan", type="llm") as plan:
        plan.output = "answer briefly"
    await cl.Message(content="It is sunny in Lyon.").send()


async def elements() -> None:
    tasks = cl.TaskList(status="Working")
    await tasks.add_task(cl.Task(title="Fetch data", status=cl.TaskStatus.DONE))
    await tasks.add_task(cl.Task(title="Draw chart", status=cl.TaskStatus.RUNNING))
    await tasks.send()
    await cl.Message(
        content="Here are the elements.",
        elements=[
            cl.Image(name="red square", content=PNG, display="inline", size="small"),
            cl.Text(name="notes", content="Side notes about Lyon.", display="side"),
            cl.Pdf(name="report", content=PDF, display="page"),
            cl.File(name="data.txt", content=b"one,two\n", display="inline"),
            cl.Dataframe(name="cities", content=json.dumps(FRAME), display="inline"),
        ],
    ).send()


@cl.on_message
async def main(message: cl.Message) -> None:
    text = message.content.strip()
    if text == "ask file":
        await ask_file()
    elif text == "ask form":
        await ask_form()
    elif text == "steps":
        await steps()
    elif text == "elements":
        await elements()
    else:
        attached = [e for e in message.elements if getattr(e, "path", None)]
        if attached:
            names = ", ".join(f"{e.name}={Path(e.path).read_text().strip()}" for e in attached)
            await cl.Message(content=f"received {names}").send()
        else:
            await cl.Message(content=f"echo: {text}").send()
