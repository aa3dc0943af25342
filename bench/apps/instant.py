"""Bench app: streams a 20-token reply with no delay between tokens."""

import switchboard as cl

TOKENS = [f"tok{i} " for i in range(20)]


@cl.on_message
async def reply(message: cl.Message) -> None:
    answer = cl.Message(content="")
    for token in TOKENS:
        await answer.stream_token(token)
    await answer.send()
