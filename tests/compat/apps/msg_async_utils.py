"""cl.sleep, cl.make_async and cl.run_sync from app code."""

import time

import chainlit as cl


def blocking(text: str) -> str:
    time.sleep(0.05)
    cl.run_sync(cl.Message(content=f"from a thread: {text}").send())
    return text.upper()


@cl.on_message
async def main(message: cl.Message):
    await cl.sleep(0.1)
    result = await cl.make_async(blocking)(message.content)
    await cl.Message(content=f"result: {result}").send()
