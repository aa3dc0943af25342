"""Commands set in on_chat_start, updated later, and read from message.command."""

import chainlit as cl

commands = [
    {"id": "Picture", "icon": "image", "description": "Use DALL-E"},
    {"id": "Search", "icon": "globe", "description": "Find on the web", "button": True},
    {"id": "Canvas", "icon": "pen-line", "description": "Collaborate", "persistent": True},
]


@cl.on_chat_start
async def start():
    await cl.context.emitter.set_commands(commands)


@cl.on_message
async def message(msg: cl.Message):
    if msg.command == "Picture":
        await cl.Message(content="picture requested").send()
        await cl.context.emitter.set_commands(commands[1:])
    elif msg.command:
        await cl.Message(content=f"command {msg.command}: {msg.content}").send()
    else:
        await cl.Message(content=f"no command: {msg.content}").send()
