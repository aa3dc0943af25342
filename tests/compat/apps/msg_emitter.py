"""cl.context.emitter calls apps use: a toast and the token count."""

import chainlit as cl


@cl.on_message
async def main(message: cl.Message):
    await cl.context.emitter.send_toast("Saved", "success")
    await cl.context.emitter.update_token_count(42)
    await cl.Message(content="done").send()
