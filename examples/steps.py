"""Chainlit's steps pattern: decorator (sync and async), context manager, nesting."""

import switchboard as cl


@cl.step(type="tool")
async def search(query: str) -> str:
    async with cl.Step(name="rank", type="rerank") as rank:
        rank.input = {"query": query}
        rank.output = ["doc-1", "doc-2"]
    return f"2 results for {query}"


@cl.step(type="tool", name="tokenize")
def tokenize(text: str) -> list[str]:
    # A sync step is called on the event loop (Chainlit schedules its events there);
    # from a thread (cl.make_async) Chainlit would fail with "no running event loop".
    return text.split()


@cl.on_message
async def main(message: cl.Message) -> None:
    found = await search(message.content)
    words = tokenize(message.content)
    async with cl.Step(name="summarise", type="llm", language="markdown") as step:
        await step.stream_token("**summary** ")
        await step.stream_token(f"of {len(words)} words")
    await cl.Message(content=f"{found}; {step.output}").send()
