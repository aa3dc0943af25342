"""Videos from a URL with a player config and from bytes."""

import chainlit as cl

MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 16


@cl.on_message
async def main(message: cl.Message):
    elements = [
        cl.Video(
            name="talk",
            url="https://example.com/talk.mp4",
            display="inline",
            player_config={"youtube": {"playerVars": {"showinfo": 1}}},
        ),
        cl.Video(name="clip", content=MP4, display="side", size="small"),
    ]
    await cl.Message(content="Watch clip aside.", elements=elements).send()
