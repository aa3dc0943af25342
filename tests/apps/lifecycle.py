"""Test app: records each on_chat_start and on_chat_end in a file the test reads."""

import os
from pathlib import Path

import switchboard as cl


def _record(what: str) -> None:
    marker = Path(os.environ["SWITCHBOARD_TEST_MARKER"])
    with marker.open("a", encoding="utf-8") as handle:
        handle.write(f"{what} {cl.user_session.get('id')}\n")


@cl.on_chat_start
async def start() -> None:
    _record("start")
    await cl.Message(content="started").send()


@cl.on_message
async def reply(message: cl.Message) -> None:
    await cl.Message(content=f"got {message.content}").send()


@cl.on_chat_end
async def end() -> None:
    _record("end")
