"""Modes (composer pickers) set with set_modes and read from message.modes."""

import chainlit as cl


@cl.on_chat_start
async def start():
    await cl.context.emitter.set_modes(
        [
            cl.Mode(
                id="model",
                name="Model",
                options=[
                    cl.ModeOption(
                        id="gpt-5",
                        name="GPT-5",
                        description="Most capable",
                        icon="sparkles",
                        default=True,
                    ),
                    cl.ModeOption(id="gpt-4o", name="GPT-4o"),
                ],
            ),
            cl.Mode(
                id="reasoning",
                name="Reasoning Effort",
                options=[
                    cl.ModeOption(id="low", name="Low"),
                    cl.ModeOption(id="high", name="High"),
                ],
            ),
        ]
    )


@cl.on_message
async def main(message: cl.Message):
    modes = message.modes or {}
    await cl.Message(
        content=f"model={modes.get('model')} reasoning={modes.get('reasoning')}"
    ).send()
