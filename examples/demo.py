"""The demo app `make run` serves: a greeting, then streamed echo answers with a step."""

import asyncio

import switchboard as cl


@cl.on_chat_start
async def start() -> None:
    await cl.Message(content="Hello! I am the Switchboard demo. Say something.").send()


@cl.step(type="tool")
async def count_words(text: str) -> str:
    await asyncio.sleep(0.05)
    return f"{len(text.split())} words"


@cl.on_message
async def main(message: cl.Message) -> None:
    words = await count_words(message.content)
    answer = cl.Message(content="")
    for token in f"You said: {message.content} ({words}).".split(" "):
        await answer.stream_token(token + " ")
        await asyncio.sleep(0.02)
    await answer.send()
