"""Test app written exactly as Chainlit's documentation writes apps: every import
names ``chainlit``; the worker resolves them to Switchboard's SDK."""

import chainlit as cl
import chainlit.data as cl_data
from chainlit.config import config
from chainlit.context import context
from chainlit.element import Element
from chainlit.input_widget import Select, Switch
from chainlit.logger import logger
from chainlit.message import Message
from chainlit.server import app  # imported only: using it would raise
from chainlit.step import Step
from chainlit.sync import make_async, run_sync
from chainlit.types import ThreadDict
from chainlit.user_session import user_session

# Importing these is harmless even though Switchboard keeps threads itself.
assert issubclass(cl_data.BaseDataLayer, object) and app is not None


def count_words(text: str) -> int:
    """Blocking app code, run in a thread by make_async; it reports back with run_sync."""
    words = len(text.split())
    run_sync(cl.Message(content=f"counted {words} words").send())
    return words


@cl.on_chat_start
async def start() -> None:
    settings = await cl.ChatSettings(
        [
            Select(id="model", label="Model", values=["small", "large"], initial_index=0),
            Switch(id="stream", label="Stream", initial=True),
        ]
    ).send()
    user_session.set("model", settings["model"])
    user_session.set("turns", 0)
    logger.info("chat started in session %s", context.session.id)
    await cl.Message(content=f"Hello from {config.ui.name}").send()


@cl.on_chat_resume
async def resume(thread: ThreadDict) -> None:
    user_session.set("turns", len(thread["steps"]))


@cl.on_message
async def main(message: cl.Message) -> None:
    turns = user_session.get("turns", 0) + 1
    user_session.set("turns", turns)
    async with Step(name="count", type="tool") as step:
        step.output = str(await make_async(count_words)(message.content))
    elements: list[Element] = [cl.Text(name="note", content="a note", display="inline")]
    reply = Message(
        content=f"echo: {message.content} | turn {turns} | model {user_session.get('model')}",
        elements=elements,
    )
    await reply.send()
