"""Test app without login: ``file N`` answers with a stored text file whose body names N."""

import switchboard as cl


@cl.on_message
async def reply(message: cl.Message) -> None:
    name = message.content.strip()
    body = f"contents of {name} " * 64
    attachment = cl.File(name=f"{name}.txt", content=body.encode(), display="inline")
    await cl.Message(content=f"stored {name}", elements=[attachment]).send()
