"""Browser-test app for PDF elements: sends the PDF the test wrote (its path in
SWITCHBOARD_TEST_PDF) inline, and after "broken" a file that is not a PDF at all."""

import os

import switchboard as cl


@cl.on_chat_start
async def start() -> None:
    await cl.Message(content="PDF app ready.").send()


@cl.on_message
async def reply(message: cl.Message) -> None:
    if message.content == "broken":
        element = cl.Pdf(name="broken", content=b"this is not a PDF\n", display="inline")
        await cl.Message(content="Here is a broken PDF.", elements=[element]).send()
        return
    path = os.environ["SWITCHBOARD_TEST_PDF"]
    element = cl.Pdf(name="minutes", path=path, display="inline")
    await cl.Message(content="Here are the minutes.", elements=[element]).send()
