"""Elements taken away with remove() and changed in place with update()."""

import chainlit as cl


@cl.on_message
async def main(message: cl.Message):
    keep = cl.Text(name="keep", content="This one stays.")
    gone = cl.Text(name="gone", content="This one goes.")
    form = cl.CustomElement(name="Counter", props={"count": 0})
    reply = cl.Message(content="Two texts and a counter.", elements=[keep, gone, form])
    await reply.send()
    await gone.remove()
    form.props = {"count": 7}
    await form.update()
    await form.remove()
    reply.content = "One text left."
    await reply.update()
