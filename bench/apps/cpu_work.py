"""Bench app: each reply costs a fixed amount of CPU in the worker (hashing), then streams."""

import hashlib
import os

import switchboard as cl

ROUNDS = int(os.environ.get("BENCH_CPU_ROUNDS", "400000"))


def burn(seed: str) -> str:
    digest = seed.encode()
    for _ in range(ROUNDS):
        digest = hashlib.sha256(digest).digest()
    return digest.hex()[:8]


@cl.on_message
async def reply(message: cl.Message) -> None:
    answer = cl.Message(content="")
    await answer.stream_token("working")
    await answer.stream_token(" ...")
    answer.content = f"done {burn(message.content)}"
    await answer.send()
