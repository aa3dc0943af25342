"""on_chat_end: runs when the user leaves; nothing more reaches the browser."""

import chainlit as cl


@cl.on_chat_start
async def start():
    await cl.Message(content="Hello").send()


@cl.on_message
async def main(message: cl.Message):
    await cl.Message(content=f"Echo: {message.content}").send()


@cl.on_chat_end
async def end():
    print("The user disconnected")
