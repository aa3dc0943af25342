"""Test app for backpressure: slow replies, and a flood of stream tokens."""

import asyncio

import switchboard as cl


@cl.on_message
async def reply(message: cl.Message) -> None:
    command, _, argument = message.content.partition(" ")
    if command == "slow":
        answer = cl.Message(content="")
        await answer.stream_token("working ")
        await asyncio.sleep(float(argument))
        await answer.send()
    elif command == "flood":
        # Big tokens straight to the emitter: the reply's content stays small.
        answer = cl.Message(content="")
        await answer.stream_token("flood ")
        padding = "x" * 4000
        for index in range(int(argument)):
            token = {"id": answer.id, "token": f"token-{index:06d} {padding}", "isSequence": False}
            await cl.context.emitter.emit("stream_token", {**token, "isInput": False})
        answer.content = f"flooded {argument}"
        await answer.send()
    else:
        await cl.Message(content=f"echo {message.content}").send()
