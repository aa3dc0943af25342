"""Step update and remove: a step changed after sending, another one removed."""

import chainlit as cl


@cl.on_message
async def main(message: cl.Message):
    step = cl.Step(name="Updated", type="tool")
    step.output = "first"
    await step.send()
    step.output = "second"
    await step.update()
    gone = cl.Step(name="Removed")
    await gone.send()
    await gone.remove()
    await cl.Message(content="done").send()
