"""Bench app: one 20,000-token markdown answer, streamed as fast as the stack allows.

The text mixes paragraphs, lists, a table and code fences, so the browser's markdown
renderer does real work while the answer grows.
"""

import switchboard as cl

TOKENS = 20_000


def tokens() -> list[str]:
    out: list[str] = []
    section = 0
    while len(out) < TOKENS:
        section += 1
        out += [f"\n\n## Section {section}\n\n"]
        out += [f"word{i} " for i in range(60)]
        out += ["**bold** ", "`code` ", "end.\n\n"]
        out += [f"- item {i} with *emphasis*\n" for i in range(8)]
        out += ["\n| a | b |\n|---|---|\n", "| 1 | 2 |\n", "| 3 | 4 |\n\n"]
        out += ["```python\n"] + [f"x{i} = {i}  # line\n" for i in range(12)] + ["```\n"]
    return out[:TOKENS]


@cl.on_message
async def reply(message: cl.Message) -> None:
    answer = cl.Message(content="")
    for token in tokens():
        await answer.stream_token(token)
    await answer.stream_token("\n\nDONE-STREAMING")
    await answer.send()
