"""A starter app: edit it, `switchboard run -w app.py` reloads the workers on save."""

import chainlit as cl


@cl.on_chat_start
async def start():
    cl.user_session.set("history", [])
    await cl.Message(content="Hello! Ask me anything.").send()


@cl.on_message
async def main(message: cl.Message):
    history = cl.user_session.get("history")
    history.append({"role": "user", "content": message.content})
    reply = f"You said: {message.content}"
    history.append({"role": "assistant", "content": reply})
    await cl.Message(content=reply).send()
