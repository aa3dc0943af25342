"""Browser-test app for the first page: a logo in public/, a readme (chainlit.md) and
starters, and no greeting: the page starts without messages."""

import switchboard as cl


@cl.set_starters
async def starters(user: cl.User | None, language: str | None) -> list[cl.Starter]:
    return [
        cl.Starter(label="Plan a trip", message="plan a trip"),
        cl.Starter(label="Pack a bag", message="pack a bag"),
        cl.Starter(label="Find a train", message="find a train"),
    ]


@cl.on_message
async def main(message: cl.Message) -> None:
    await cl.Message(content=f"echo: {message.content}").send()
