"""The element sidebar: a title, elements under a key, then closed with an empty list."""

import chainlit as cl


@cl.on_chat_start
async def start():
    await cl.ElementSidebar.set_title("Sources")
    await cl.ElementSidebar.set_elements(
        [
            cl.Text(name="first", content="The first source."),
            cl.Text(name="second", content="The second source.", display="side"),
            cl.Image(name="logo", url="https://example.com/logo.png"),
        ],
        key="sources",
    )


@cl.on_message
async def main(message: cl.Message):
    if message.content == "close":
        await cl.ElementSidebar.set_elements([])
        return
    await cl.ElementSidebar.set_title("Answer")
    await cl.ElementSidebar.set_elements(
        [cl.Text(name="answer", content=f"About {message.content}.")], key="answer"
    )
