"""Chainlit's ask pattern: a text question, then a choice among actions."""

import switchboard as cl


@cl.on_chat_start
async def start() -> None:
    answer = await cl.AskUserMessage(content="What is your name?", timeout=30).send()
    name = answer["output"] if answer else "stranger"
    choice = await cl.AskActionMessage(
        content=f"Hello {name}! Tea or coffee?",
        actions=[
            cl.Action(name="tea", payload={"drink": "tea"}, label="Tea"),
            cl.Action(name="coffee", payload={"drink": "coffee"}, label="Coffee"),
        ],
        timeout=30,
    ).send()
    drink = choice["payload"]["drink"] if choice else "water"
    await cl.Message(content=f"{name} drinks {drink}.").send()
