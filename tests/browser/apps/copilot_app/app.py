"""Browser-test app for the copilot widget: it calls a CopilotFunction the host page
answers, sends a window message to the host page and answers the host page's own."""

from typing import Any

import switchboard as cl


@cl.on_chat_start
async def start() -> None:
    client = cl.user_session.get("client_type")
    await cl.Message(content=f"Copilot app ready (client {client}).").send()


@cl.on_message
async def main(message: cl.Message) -> None:
    text = message.content.strip()
    if text == "title":
        answer = await cl.CopilotFunction(name="page_title", args={"asked": "title"}).acall()
        await cl.Message(content=f"The page is called {answer['title']}.").send()
    elif text == "ping":
        await cl.send_window_message({"from": "app", "text": "pong"})
        await cl.Message(content="Sent pong to the page.").send()
    else:
        await cl.Message(content=f"echo: {text}").send()


@cl.on_window_message
async def window_message(data: Any) -> None:
    if isinstance(data, dict) and data.get("from") == "host":
        await cl.Message(content=f"The page said {data.get('text')}.").send()
