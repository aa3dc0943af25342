"""Author names: messages shown under a custom author and the default one."""

import chainlit as cl


@cl.on_message
async def main(message: cl.Message):
    await cl.Message(content="I am the tool", author="Tool").send()
    await cl.Message(content="I am the default").send()
