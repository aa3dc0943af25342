"""Nested steps: a decorated step called inside a context manager step."""

import chainlit as cl


@cl.step(type="tool")
async def child(value: str):
    return f"child saw {value}"


@cl.on_message
async def main(message: cl.Message):
    async with cl.Step(name="parent") as parent:
        parent.input = message.content
        parent.output = await child(message.content)
    await cl.Message(content=parent.output).send()
