"""The app ``switchboard hello`` runs: a greeting, then streamed echo answers."""

import chainlit as cl


@cl.on_chat_start
async def start() -> None:
    cl.user_session.set("count", 0)
    await cl.Message(content="Hello! This is Switchboard. Say something.").send()


@cl.on_message
async def main(message: cl.Message) -> None:
    count = cl.user_session.get("count", 0) + 1
    cl.user_session.set("count", count)
    answer = cl.Message(content="")
    for word in f"Message {count}: you said {message.content}".split(" "):
        await answer.stream_token(word + " ")
    await answer.send()
