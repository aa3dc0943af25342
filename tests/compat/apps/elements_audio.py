"""Audio clips from bytes (played at once) and from a URL."""

import chainlit as cl

WAV = b"RIFF$\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00@\x1f\x00\x00@\x1f\x00\x00\x01\x00\x08\x00data\x00\x00\x00\x00"


@cl.on_message
async def main(message: cl.Message):
    elements = [
        cl.Audio(name="beep", content=WAV, display="inline", auto_play=True),
        cl.Audio(name="song", url="https://example.com/song.mp3", display="inline"),
    ]
    await cl.Message(content="Two sounds.", elements=elements).send()
