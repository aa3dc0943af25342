"""Window messages: answered with send_window_message and shown as a message."""

import chainlit as cl


@cl.on_window_message
async def window_message(message: str):
    if message.startswith("Client: "):
        await cl.Message(content=f"Window message received: {message}").send()
    await cl.send_window_message(f"Server: {message}")


@cl.on_message
async def main(message: cl.Message):
    await cl.send_window_message({"echo": message.content})
    await cl.Message(content=f"sent {message.content} to the window").send()
