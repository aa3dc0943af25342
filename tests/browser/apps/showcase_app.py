"""Browser-test app for the documentation's screenshots: a streamed answer, a tool step
and elements (an image, a two-page PDF, a side note, a task list)."""

import struct
import zlib

import switchboard as cl


def _png(width: int = 240, height: int = 120) -> bytes:
    """A colour gradient as a PNG."""
    rows = b"".join(
        b"\x00"
        + b"".join(
            bytes((40 + x * 180 // width, 90 + y * 120 // height, 200)) for x in range(width)
        )
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _pdf() -> bytes:
    """Two pages, each a line of text and a box, with a correct cross-reference table."""
    pages = [("Quarterly report", 160), ("Page two", 80)]
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[4 0 R 6 0 R]/Count 2>>",
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
    ]
    for i, (text, box) in enumerate(pages):
        content = f"BT /F1 20 Tf 24 150 Td ({text}) Tj ET 24 30 {box} 70 re f".encode()
        objects.append(
            f"<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 200]"
            f"/Resources<</Font<</F1 3 0 R>>>>/Contents {5 + 2 * i} 0 R>>".encode()
        )
        objects.append(b"<</Length %d>>stream\n" % len(content) + content + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


ANSWER = (
    "Revenue grew **12%** over the quarter, led by the new subscription plans. "
    "Costs stayed flat, so the margin improved by three points.\n\n"
    "| Month | Revenue |\n|---|---|\n| July | 1.2 M |\n| August | 1.3 M |\n| September | 1.4 M |"
)


@cl.on_chat_start
async def start() -> None:
    await cl.Message(content="Hello! Ask me about the quarter.").send()


async def search_reports(query: str) -> str:
    found = f"3 reports match “{query}”: Q1, Q2 and Q3."
    async with cl.Step(name="search_reports", type="tool") as step:
        step.input = {"query": query}
        step.output = found
    return found


@cl.on_message
async def main(message: cl.Message) -> None:
    text = message.content.strip()
    if text == "elements":
        tasks = cl.TaskList(name="Progress")
        tasks.status = "Working"
        await tasks.add_task(cl.Task(title="Collect the figures", status=cl.TaskStatus.DONE))
        await tasks.add_task(cl.Task(title="Draw the chart", status=cl.TaskStatus.RUNNING))
        await tasks.send()
        elements = [
            cl.Image(name="trend", content=_png(), display="inline", size="medium"),
            cl.Pdf(name="report", content=_pdf(), display="inline"),
            cl.Text(name="method", content="Figures are in euros, rounded.", display="side"),
        ]
        await cl.Message(content="The trend, the report and the method.", elements=elements).send()
        return
    if text.startswith("search"):
        found = await search_reports(text.removeprefix("search").strip() or "quarter")
        await cl.Message(content=f"I looked it up: {found}").send()
        return
    reply = cl.Message(content="")
    for word in ANSWER.split(" "):
        await reply.stream_token(word + " ")
    await reply.send()
