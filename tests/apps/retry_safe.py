"""An app whose on_message may run again if its worker dies (``retry=True``)."""

import asyncio

import switchboard as cl
from switchboard.failpoints import failpoint


@cl.on_chat_start
async def start() -> None:
    await cl.Message(content="ready").send()


@cl.on_message(retry=True)
async def on_message(message: cl.Message) -> None:
    if message.content == "slow":
        reply = cl.Message(content="")
        await reply.stream_token("0 ")
        await asyncio.sleep(0.2)  # the first token is on screen before the worker dies
        failpoint("app.streaming")
        await reply.stream_token("1 ")
        reply.content = "slow done"
        await reply.send()
        return
    if message.content == "tool":
        async with cl.Step(name="count_words", type="tool") as step:
            step.output = "1 word"
        await cl.Message(content="tool done").send()
        return
    await cl.Message(content=f"echo {message.content}").send()
