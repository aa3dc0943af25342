"""Bench app: ``steps N TAG`` runs N tool steps back to back, then a short streamed reply."""

import switchboard as cl


@cl.on_message
async def on_message(message: cl.Message) -> None:
    _, count, tag = message.content.split()
    for index in range(int(count)):
        async with cl.Step(name=f"tool {index}", type="tool") as step:
            step.input = f"{tag} {index}"
            step.output = f"{tag} step {index} done"
    reply = cl.Message(content="")
    for token in ("steps ", "done"):
        await reply.stream_token(token)
    await reply.send()
