"""Browser-test app: a slow stream to stop, a toast, an error message, markdown, and
on_message raising (with and without a text)."""

import asyncio

import switchboard as cl

MARKDOWN = """# Heading

A paragraph with **bold**, *italic* and `code`.

| Name | Value |
|------|-------|
| a    | 1     |

```python
def add(a, b):
    return a + b
```
"""


@cl.on_chat_start
async def start() -> None:
    await cl.Message(content="UI test app ready.").send()


@cl.on_message
async def main(message: cl.Message) -> None:
    text = message.content.strip()
    if text == "slow":
        answer = cl.Message(content="")
        for index in range(400):
            await answer.stream_token(f"tick{index} ")
            await asyncio.sleep(0.05)
        await answer.send()
    elif text == "toast":
        await cl.context.emitter.send_toast("Saved!", "success")
        await cl.Message(content="toasted").send()
    elif text == "fail":
        await cl.ErrorMessage(content="Something broke").send()
    elif text == "markdown":
        await cl.Message(content=MARKDOWN).send()
    elif text == "raise":
        await cl.Message(content="Looking it up...").send()
        raise ValueError("the weather service is down")
    elif text == "raise quietly":
        raise RuntimeError
    else:
        await cl.Message(content=f"echo: {text}").send()
