"""Test app producing many persisted steps: ``steps N TAG`` runs N tool steps, then streams.

Each tool step is shown empty, updated to "working", then closed with its final
output, so a stale write applied after a newer one would show in the database.
With ``TEST_APP_DATA_LAYER_URL`` set, the app brings its own data layer (Chainlit's
SQLAlchemy one on that database), for the "app" storage mode.
"""

import asyncio
import os

import switchboard as cl
from switchboard.data.sql_alchemy import SQLAlchemyDataLayer

if os.environ.get("TEST_APP_DATA_LAYER_URL"):

    @cl.data_layer
    def layer() -> SQLAlchemyDataLayer:
        return SQLAlchemyDataLayer(conninfo=os.environ["TEST_APP_DATA_LAYER_URL"])


@cl.on_chat_start
async def start() -> None:
    await cl.Message(content="ready").send()


@cl.on_message
async def on_message(message: cl.Message) -> None:
    parts = message.content.split()
    if not parts or parts[0] != "steps":
        await cl.Message(content=f"echo {message.content}").send()
        return
    count, tag = int(parts[1]), parts[2]
    delay = float(parts[3]) if len(parts) > 3 else 0.0
    for index in range(count):
        async with cl.Step(name=f"tool {index}", type="tool") as step:
            step.input = f"{tag} input {index}"
            step.output = f"{tag} working {index}"
            await step.update()
            if delay:
                await asyncio.sleep(delay)
            step.output = f"{tag} step {index} done"
    reply = cl.Message(content="")
    for token in ("all ", "steps ", "done "):
        await reply.stream_token(token)
    reply.content = f"{tag} done {count}"
    await reply.send()
