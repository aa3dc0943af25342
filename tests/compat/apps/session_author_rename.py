"""author_rename: every message author passes through the hook before it is shown."""

import chainlit as cl


@cl.author_rename
async def rename(orig_author: str):
    rename_dict = {"Assistant": "Helper", "Chatbot": "Bot"}
    return rename_dict.get(orig_author, orig_author)


@cl.on_chat_start
async def start():
    await cl.Message(content="from the assistant").send()


@cl.on_message
async def main(message: cl.Message):
    await cl.Message(content=f"chatbot says {message.content}", author="Chatbot").send()
    await cl.Message(content="a guest", author="Guest").send()
    async with cl.Step(name="Tool", type="tool") as step:
        step.output = "done"
