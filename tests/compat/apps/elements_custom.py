"""A custom element sent with a message, then updated with new props."""

import chainlit as cl


@cl.on_message
async def main(message: cl.Message):
    counter = cl.CustomElement(name="Counter", props={"count": 1}, display="inline")
    await cl.Message(content="A counter.", elements=[counter]).send()
    counter.props = {"count": 2, "label": "clicks"}
    await counter.update()
