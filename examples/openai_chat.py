"""Chainlit's OpenAI pattern: instrumented streaming chat completions become llm steps."""

import os

from openai import AsyncOpenAI

import switchboard as cl

client = AsyncOpenAI(
    base_url=os.environ.get("OPENAI_BASE_URL"), api_key=os.environ.get("OPENAI_API_KEY", "none")
)
cl.instrument_openai()


@cl.on_message
async def main(message: cl.Message) -> None:
    stream = await client.chat.completions.create(
        model=os.environ.get("OPENAI_MODEL", "gpt-4o-mini"),
        messages=[{"role": "user", "content": message.content}],
        temperature=0.2,
        stream=True,
    )
    answer = cl.Message(content="")
    async for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            await answer.stream_token(chunk.choices[0].delta.content)
    await answer.send()
