"""Files to download: from bytes, from a path, from a URL and from a string."""

import tempfile

import chainlit as cl


@cl.on_message
async def main(message: cl.Message):
    with tempfile.NamedTemporaryFile(suffix=".txt", delete=False) as disk:
        disk.write(b"written to disk\n")
    elements = [
        cl.File(name="table.csv", content=b"a,b\n1,2\n", display="inline"),
        cl.File(name="notes.txt", path=disk.name, display="inline"),
        cl.File(name="remote.zip", url="https://example.com/archive.zip", display="inline"),
        cl.File(name="string.txt", content="a string, not bytes", display="inline"),
        cl.File(name="typed", content=b"{}", mime="application/json", display="inline"),
    ]
    await cl.Message(content="Five files to download.", elements=elements).send()
