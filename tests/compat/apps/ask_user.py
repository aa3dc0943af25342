"""AskUserMessage answered: the reply comes back as a step dict."""

import chainlit as cl


@cl.on_chat_start
async def start():
    res = await cl.AskUserMessage(content="What is your name?", timeout=10).send()
    if res:
        await cl.Message(content=f"Your name is: {res['output']}").send()
