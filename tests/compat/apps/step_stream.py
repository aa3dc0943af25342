"""Step streaming: tokens streamed into a step's output."""

import chainlit as cl


@cl.on_message
async def main(message: cl.Message):
    async with cl.Step(name="Thinking", type="llm") as step:
        for token in ["one ", "two ", "three"]:
            await step.stream_token(token)
    await cl.Message(content=step.output).send()
