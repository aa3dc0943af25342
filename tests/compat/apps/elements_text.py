"""Text elements shown inline, in the side panel and on a page of their own."""

import chainlit as cl


@cl.on_message
async def main(message: cl.Message):
    elements = [
        cl.Text(name="inline_note", content="A note under the message.", display="inline"),
        cl.Text(name="side_note", content="A note in the side panel.", display="side"),
        cl.Text(
            name="page_code",
            content="print('hello')",
            display="page",
            language="python",
        ),
    ]
    await cl.Message(content="See side_note and page_code for more.", elements=elements).send()
    reply = await cl.Message(content="A text sent on its own.").send()
    await cl.Text(name="later", content="Sent after its message.").send(for_id=reply.id)
