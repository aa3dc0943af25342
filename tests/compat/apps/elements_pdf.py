"""PDF documents inline, aside and on a page, opened at a given page."""

import chainlit as cl

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@cl.on_message
async def main(message: cl.Message):
    elements = [
        cl.Pdf(name="inline_doc", content=PDF, display="inline"),
        cl.Pdf(name="side_doc", content=PDF, display="side", page=2),
        cl.Pdf(name="page_doc", url="https://example.com/paper.pdf", display="page", page=3),
    ]
    await cl.Message(content="Read side_doc and page_doc.", elements=elements).send()
