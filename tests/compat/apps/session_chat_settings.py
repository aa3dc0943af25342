"""Chat settings in tabs, on_settings_update, and the values read back from the session."""

import chainlit as cl
from chainlit.input_widget import Select, Slider, Switch, Tab, TextInput


@cl.on_chat_start
async def start():
    settings = await cl.ChatSettings(
        [
            Tab(
                id="model",
                label="Model",
                inputs=[
                    Select(
                        id="Model",
                        label="OpenAI - Model",
                        values=["gpt-3.5-turbo", "gpt-4"],
                        initial_index=1,
                    ),
                    Slider(
                        id="Temperature", label="Temperature", initial=1, min=0, max=2, step=0.1
                    ),
                ],
            ),
            Tab(
                id="output",
                label="Output",
                inputs=[
                    Switch(id="Streaming", label="Stream Tokens", initial=True),
                    TextInput(id="Prefix", label="Prefix", placeholder="none", multiline=True),
                    Select(
                        id="Style",
                        label="Style",
                        items={"Plain text": "plain", "Markdown": "md"},
                        initial_value="md",
                    ),
                ],
            ),
        ]
    ).send()
    await cl.Message(content=f"start {sorted(settings.items())}").send()


@cl.on_settings_update
async def setup_agent(settings):
    await cl.Message(content=f"update {sorted(settings.items())}").send()
    stored = cl.user_session.get("chat_settings")
    await cl.Message(content=f"session {sorted(stored.items())}").send()


@cl.on_settings_edit
async def edit(settings):
    await cl.Message(content=f"editing {sorted(settings.items())}").send()


@cl.on_message
async def main(message: cl.Message):
    if message.content == "refresh":
        shown = await cl.ChatSettings(
            [Switch(id="Streaming", label="Stream", initial=False)]
        ).refresh()
        await cl.Message(
            content=f"refreshed {shown} kept {cl.user_session.get('chat_settings')}"
        ).send()
        return
    settings = cl.user_session.get("chat_settings")
    await cl.Message(
        content=f"{message.content}: {settings['Model']} {settings['Temperature']}"
    ).send()
