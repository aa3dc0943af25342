"""ErrorMessage: an error shown as a message by the app itself."""

import chainlit as cl


@cl.on_message
async def main(message: cl.Message):
    await cl.ErrorMessage(content="Something went wrong").send()
