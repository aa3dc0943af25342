"""Test app exercising asks, stop, actions, settings and user_session across processes."""

import asyncio
import json
import os

import switchboard as cl
from switchboard.input_widget import Slider, Switch


@cl.on_chat_start
async def start() -> None:
    cl.user_session.set("counter", 0)
    await cl.Message(content="ready").send()


@cl.on_message
async def on_message(message: cl.Message) -> None:
    text = message.content
    if text == "ask":
        answer = await cl.AskUserMessage(content="name?", timeout=30).send()
        await cl.Message(content=f"hello {answer['output'] if answer else 'nobody'}").send()
    elif text == "ask-short":
        answer = await cl.AskUserMessage(content="quick?", timeout=1).send()
        await cl.Message(content=f"short {answer['output'] if answer else 'timeout'}").send()
    elif text.startswith("slow"):
        steps = int(text.split()[1])
        reply = cl.Message(content="")
        for index in range(steps):
            await reply.stream_token(f"{index} ")
            await asyncio.sleep(0.1)
        reply.content = f"slow done {steps}"
        await reply.send()
    elif text == "count":
        counter = cl.user_session.get("counter") + 1
        cl.user_session.set("counter", counter)
        await cl.Message(content=f"count={counter} pid={os.getpid()}").send()
    elif text == "action":
        await cl.Message(
            content="pick one", actions=[cl.Action(name="pick", payload={"n": 7}, label="Seven")]
        ).send()
    elif text == "ask-action":
        choice = await cl.AskActionMessage(
            content="which?",
            actions=[
                cl.Action(name="left", payload={}, label="Left"),
                cl.Action(name="right", payload={}, label="Right"),
            ],
            timeout=30,
        ).send()
        await cl.Message(content=f"chose {choice['name'] if choice else 'none'}").send()
    elif text == "settings":
        await cl.ChatSettings(
            [
                Switch(id="stream", label="Stream", initial=True),
                Slider(id="temperature", label="Temperature", initial=1, min=0, max=2, step=0.1),
            ]
        ).send()
    elif text == "history":
        roles = [m["role"] for m in cl.chat_context.to_openai()]
        await cl.Message(content=f"history {','.join(roles)}").send()
    else:
        await cl.Message(content=f"echo {text}").send()


@cl.on_stop
async def stopped() -> None:
    await cl.Message(content="on_stop called").send()


@cl.on_settings_update
async def settings_update(settings: dict) -> None:
    await cl.Message(content=f"settings {json.dumps(settings, sort_keys=True)}").send()


@cl.action_callback("pick")
async def pick(action: cl.Action) -> str:
    await cl.Message(content=f"picked {action.payload['n']}").send()
    return f"picked-{action.payload['n']}"
