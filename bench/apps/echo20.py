"""Bench app for bench/vs_chainlit.py: echoes the message back as 20 streamed tokens.

Written against Chainlit (``import chainlit as cl``) so the very same file runs on
Chainlit 2.12 and on Switchboard (whose worker aliases ``chainlit`` to its SDK).
No sleeps: every token is sent as fast as the server takes it, then ``send()``.
"""

import chainlit as cl

TOKENS = 20


@cl.on_message
async def echo(message: cl.Message) -> None:
    answer = cl.Message(content="")
    for index in range(TOKENS):
        await answer.stream_token(f"{message.content}[{index}] ")
    await answer.send()
