"""Message update: content changed after sending, then .update()."""

import chainlit as cl


@cl.on_message
async def main(message: cl.Message):
    msg = cl.Message(content="Working on it...")
    await msg.send()
    msg.content = f"Done with {message.content}"
    await msg.update()
