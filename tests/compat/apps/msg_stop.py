"""Stop of a running task: the user presses stop while the app streams."""

import chainlit as cl


@cl.on_message
async def main(message: cl.Message):
    msg = cl.Message(content="")
    for i in range(50):
        await msg.stream_token(f"tick {i} ")
        await cl.sleep(0.1)
    await msg.send()


@cl.on_stop
async def on_stop():
    print("The user stopped the task")
