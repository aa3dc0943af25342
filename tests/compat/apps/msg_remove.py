"""Message remove: a sent message taken away again."""

import chainlit as cl


@cl.on_message
async def main(message: cl.Message):
    msg = cl.Message(content="This will vanish")
    await msg.send()
    await msg.remove()
    await cl.Message(content="Only this stays").send()
