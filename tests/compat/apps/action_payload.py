"""Actions with a payload; the callback reads it and removes the action."""

import chainlit as cl


@cl.on_chat_start
async def start():
    actions = [
        cl.Action(name="action_button", payload={"value": "example_value"}, label="Click me!")
    ]
    await cl.Message(content="Interact with this action button:", actions=actions).send()


@cl.action_callback("action_button")
async def on_action(action: cl.Action):
    await cl.Message(content=f"Executed {action.name} with {action.payload['value']}").send()
    await action.remove()
