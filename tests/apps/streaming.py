"""Test app: greets, then streams a reply of 12 tokens with no delay."""

import switchboard as cl

TOKENS = [f"t{i} " for i in range(12)]


@cl.on_chat_start
async def start() -> None:
    await cl.Message(content="Welcome to the streaming test app").send()


@cl.on_message
async def reply(message: cl.Message) -> None:
    answer = cl.Message(content="")
    for token in TOKENS:
        await answer.stream_token(token)
    answer.content = f"{answer.content}| echo: {message.content}"
    await answer.send()
