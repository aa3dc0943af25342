"""Chainlit's file and form asks: upload a text file, then fill a custom element."""

from pathlib import Path

import switchboard as cl


@cl.on_chat_start
async def start() -> None:
    files = await cl.AskFileMessage(
        content="Please upload a text file to begin!", accept=["text/plain"], max_size_mb=1
    ).send()
    if not files:
        await cl.Message(content="No file arrived.").send()
        return
    text_file = files[0]
    text = await cl.make_async(Path(text_file.path).read_text)(encoding="utf-8")
    await cl.Message(
        content=f"`{text_file.name}` uploaded, it contains {len(text)} characters!"
    ).send()
    form = cl.CustomElement(name="Feedback", props={"rating": 3, "comment": ""})
    answer = await cl.AskElementMessage(content="How was it?", element=form, timeout=60).send()
    if answer and answer.get("submitted"):
        await cl.Message(content=f"Rated {answer['rating']}: {answer['comment']}").send()
    else:
        await cl.Message(content="No rating.").send()
