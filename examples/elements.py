"""Chainlit's element patterns: every element type, inline, side and page, and a task list."""

import switchboard as cl

# A 1x1 PNG, so the example needs no files beside it.
PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8ffff3f0005fe02fea7d6a4f40000000049454e44ae426082"
)


@cl.on_chat_start
async def start() -> None:
    tasks = cl.TaskList(status="Running...")
    await tasks.add_task(cl.Task(title="Load the data", status=cl.TaskStatus.DONE))
    await tasks.add_task(cl.Task(title="Plot it", status=cl.TaskStatus.RUNNING))
    await tasks.send()
    elements = [
        cl.Image(name="pixel", content=PIXEL, display="inline"),
        cl.Text(name="notes", content="Some notes, shown in the side panel.", display="side"),
        cl.Pdf(name="paper", content=b"%PDF-1.4\n%%EOF\n", display="page", page=1),
        cl.File(name="data.csv", content=b"a,b\n1,2\n", mime="text/csv"),
        cl.Audio(name="beep", content=b"RIFF\x00\x00\x00\x00WAVE", mime="audio/wav"),
        cl.Video(name="clip", url="https://example.com/clip.mp4"),
        cl.CustomElement(name="Counter", props={"count": 3}),
    ]
    await cl.Message(
        content="Here are the notes and the paper, with a pixel.", elements=elements
    ).send()
    await cl.ElementSidebar.set_title("Sources")
    await cl.ElementSidebar.set_elements(
        [cl.Text(name="source", content="Where the numbers came from.")], key="sources"
    )
    tasks.status = "Done"
    tasks.tasks[1].status = cl.TaskStatus.DONE
    await tasks.send()


@cl.on_message
async def remove(message: cl.Message) -> None:
    reply = cl.Message(content="A picture that goes away.")
    picture = cl.Image(name="gone", content=PIXEL)
    reply.elements = [picture]
    await reply.send()
    await picture.remove()
