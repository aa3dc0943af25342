"""Files attached to a user message arrive as its elements, typed by their mime."""

import chainlit as cl


@cl.on_message
async def main(message: cl.Message):
    seen = ", ".join(f"{e.name} ({e.type}, {e.mime})" for e in message.elements)
    await cl.Message(content=f"Got: {seen or 'nothing'}").send()
