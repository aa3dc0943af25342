"""AskActionMessage: the user picks one action and the app continues with it."""

import chainlit as cl


@cl.on_message
async def main(message: cl.Message):
    res = await cl.AskActionMessage(
        content="Pick an action!",
        actions=[
            cl.Action(name="continue", payload={"value": "continue"}, label="✅ Continue"),
            cl.Action(name="cancel", payload={"value": "cancel"}, label="❌ Cancel"),
        ],
    ).send()
    if res and res.get("payload").get("value") == "continue":
        await cl.Message(content="Continue!").send()
