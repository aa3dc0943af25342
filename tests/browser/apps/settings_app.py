"""Browser-test app: every chat settings widget (as examples/chat_settings.py)."""

import switchboard as cl
from switchboard.sdk.input_widget import (
    Checkbox,
    DatePicker,
    MultiSelect,
    NumberInput,
    RadioGroup,
    Select,
    Slider,
    Switch,
    Tags,
    TextInput,
)


@cl.on_chat_start
async def start() -> None:
    settings = await cl.ChatSettings(
        [
            Select(id="model", label="Model", values=["small", "large"], initial_index=0),
            Switch(id="stream", label="Stream", initial=True),
            Slider(id="temperature", label="Temperature", initial=1, min=0, max=2, step=0.1),
            TextInput(id="prefix", label="Prefix", initial=""),
            NumberInput(id="max_tokens", label="Max tokens", initial=256),
            Tags(id="stop", label="Stop words", initial=["END"]),
            MultiSelect(id="tools", label="Tools", values=["web", "code"], initial=["web"]),
            Checkbox(id="verbose", label="Verbose", initial=False),
            RadioGroup(id="tone", label="Tone", values=["plain", "fancy"], initial_value="plain"),
            DatePicker(id="since", label="Since", initial="2026-01-01"),
        ]
    ).send()
    await cl.Message(content=f"model={settings['model']}").send()


@cl.on_settings_update
async def update(settings: dict) -> None:
    await cl.Message(content=f"now model={settings['model']} temp={settings['temperature']}").send()
