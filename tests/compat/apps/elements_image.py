"""Images from a path on disk, from a URL and from bytes, in each size."""

import tempfile

import chainlit as cl

# A 1x1 PNG.
PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8ffff3f0005fe02fea7d6a4f40000000049454e44ae426082"
)


@cl.on_message
async def main(message: cl.Message):
    with tempfile.NamedTemporaryFile(suffix=".png", delete=False) as disk:
        disk.write(PIXEL)
    elements = [
        cl.Image(name="from_path", path=disk.name, display="inline", size="small"),
        cl.Image(name="from_url", url="https://example.com/cat.png", display="inline"),
        cl.Image(name="from_bytes", content=PIXEL, display="side", size="large"),
    ]
    await cl.Message(content="Three pictures; from_bytes is aside.", elements=elements).send()
