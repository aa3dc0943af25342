"""Step as a context manager with input and output."""

import chainlit as cl


@cl.on_message
async def main(message: cl.Message):
    async with cl.Step(name="Test", type="tool") as step:
        step.input = message.content
        step.output = "The step output"
    await cl.Message(content="done").send()
