"""AskUserMessage unanswered: with raise_on_timeout=False send() returns None."""

import chainlit as cl


@cl.on_chat_start
async def start():
    res = await cl.AskUserMessage(content="Anyone there?", timeout=1).send()
    await cl.Message(content=f"Answer: {res}").send()
