"""The chat context: every message of the session, as Message objects and for OpenAI."""

import chainlit as cl


@cl.on_chat_start
async def start():
    await cl.Message(content="Hello, ask me anything.").send()


@cl.on_message
async def main(message: cl.Message):
    history = cl.chat_context.to_openai()
    lines = [f"{m['role']}: {m['content']}" for m in history]
    await cl.Message(content=" | ".join(lines)).send()
    messages = cl.chat_context.get()
    await cl.Message(content=f"{len(messages)} messages, last: {messages[-1].content}").send()
    temporary = cl.Message(content="temporary")
    await temporary.send()
    removed = cl.chat_context.remove(temporary)
    note = cl.Message(content="a note", type="system_message")
    cl.chat_context.add(note)
    roles = [m["role"] for m in cl.chat_context.to_openai()]
    await cl.Message(content=f"removed={removed} roles={roles}").send()
    if message.content == "reset":
        cl.chat_context.clear()
        await cl.Message(content=f"after clear: {len(cl.chat_context.get())}").send()
