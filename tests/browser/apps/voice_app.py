"""Browser-test app for voice: counts what the microphone streamed, answers with the
count when the recording ends, and says something back (a short tone, as PCM16).
After the message "no voice", on_audio_start refuses."""

import math
import struct

import switchboard as cl

SAMPLE_RATE = 24000
TONE_CHUNKS = 3
TONE_SAMPLES = 2400  # 0.1 s per chunk at 24 kHz


def _tone(start: int) -> bytes:
    samples = (
        int(8000 * math.sin(2 * math.pi * 440 * (start + i) / SAMPLE_RATE))
        for i in range(TONE_SAMPLES)
    )
    return struct.pack(f"<{TONE_SAMPLES}h", *samples)


@cl.on_chat_start
async def start() -> None:
    await cl.Message(content="Voice app ready.").send()


@cl.on_audio_start
async def audio_start() -> bool:
    if cl.user_session.get("voice_off"):
        return False
    cl.user_session.set("audio", {"bytes": 0, "chunks": 0, "starts": 0, "mime": ""})
    return True


@cl.on_audio_chunk
async def audio_chunk(chunk: cl.InputAudioChunk) -> None:
    seen = cl.user_session.get("audio") or {"bytes": 0, "chunks": 0, "starts": 0, "mime": ""}
    seen["bytes"] += len(chunk.data)
    seen["chunks"] += 1
    seen["starts"] += 1 if chunk.isStart else 0
    seen["mime"] = chunk.mimeType
    cl.user_session.set("audio", seen)


@cl.on_audio_end
async def audio_end() -> None:
    seen = cl.user_session.get("audio") or {"bytes": 0, "chunks": 0, "starts": 0, "mime": ""}
    await cl.Message(
        content=(
            f"Heard {seen['bytes']} bytes in {seen['chunks']} chunks "
            f"({seen['mime']}, {seen['starts']} start)."
        )
    ).send()
    for index in range(TONE_CHUNKS):
        await cl.context.emitter.send_audio_chunk(
            cl.OutputAudioChunk(track="reply", mimeType="pcm16", data=_tone(index * TONE_SAMPLES))
        )


@cl.on_message
async def main(message: cl.Message) -> None:
    if message.content == "no voice":
        cl.user_session.set("voice_off", True)
    await cl.Message(content=f"echo: {message.content}").send()
