"""An app whose folder carries a Chainlit ``public/`` folder: styles, script, theme, images."""

import switchboard as cl


@cl.on_chat_start
async def start() -> None:
    await cl.Message(content="Public files test app", author="Assistant").send()
