"""Chainlit's action pattern: buttons under a message run an action callback."""

import switchboard as cl


@cl.on_chat_start
async def start() -> None:
    await cl.Message(
        content="Press the button.",
        actions=[cl.Action(name="greet", payload={"who": "world"}, label="Greet")],
    ).send()


@cl.action_callback("greet")
async def greet(action: cl.Action) -> str:
    await cl.Message(content=f"Hello, {action.payload['who']}!").send()
    await action.remove()
    return "greeted"
