"""An exception raised in on_message: the run step shows the error."""

import chainlit as cl


@cl.on_message
async def main(message: cl.Message):
    await cl.Message(content="About to fail").send()
    raise ValueError("the app failed")
