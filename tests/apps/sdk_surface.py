"""Test app for SDK features around the core: app lifecycle hooks, author_rename on
steps, ``ui.cot`` per chat profile, copilot functions and audio."""

import os
from pathlib import Path

import switchboard as cl


def _record(what: str) -> None:
    marker = os.environ.get("SWITCHBOARD_TEST_MARKER")
    if marker:
        with Path(marker).open("a", encoding="utf-8") as handle:
            handle.write(f"{what} {os.getpid()}\n")


@cl.on_app_startup
def startup() -> None:
    _record("startup")


@cl.on_app_shutdown
async def shutdown() -> None:
    _record("shutdown")


@cl.set_chat_profiles
async def profiles(user: cl.User | None) -> list[cl.ChatProfile]:
    return [
        cl.ChatProfile(name="Full", markdown_description="Every step", default=True),
        cl.ChatProfile(
            name="Hidden",
            markdown_description="No steps",
            config_overrides={"ui": {"cot": "hidden"}},
        ),
    ]


@cl.author_rename
def rename(author: str) -> str:
    return "Bot" if author == "Assistant" else author


@cl.on_message
async def on_message(message: cl.Message) -> None:
    if message.content == "steps":
        async with cl.Step(name="lookup", type="tool") as lookup:
            lookup.input = "query"
            lookup.output = "secret"
        think = cl.Step(name="think", type="llm")
        await think.stream_token("a")
        await think.stream_token("b")
        await think.update()
        async with cl.Step() as unnamed:
            unnamed.output = "by the assistant"
        await cl.Message(content="answer").send()
    elif message.content.startswith("copilot"):
        timeout = 2 if message.content == "copilot slow" else 30
        result = await cl.CopilotFunction(name="get_title", args={"page": 1}).acall(timeout=timeout)
        await cl.Message(content=f"copilot said {result}").send()


@cl.on_audio_start
async def audio_start() -> bool:
    cl.user_session.set("audio", {"bytes": 0, "chunks": 0, "starts": 0})
    return True


@cl.on_audio_chunk
async def audio_chunk(chunk: cl.InputAudioChunk) -> None:
    seen = cl.user_session.get("audio")
    seen["bytes"] += len(chunk.data)
    seen["chunks"] += 1
    seen["starts"] += int(chunk.isStart)
    cl.user_session.set("audio", seen)


@cl.on_audio_end
async def audio_end() -> None:
    seen = cl.user_session.get("audio")
    await cl.Message(
        content=f"heard {seen['bytes']} bytes in {seen['chunks']} chunks, {seen['starts']} start"
    ).send()
    await cl.context.emitter.send_audio_chunk(
        cl.OutputAudioChunk(track="reply", mimeType="pcm16", data=b"\x01\x02\x03")
    )
