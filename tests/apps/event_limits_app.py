"""Test app for the client-event limits: counts what reaches it."""

import switchboard as cl


@cl.on_chat_start
async def start() -> None:
    await cl.ChatSettings([cl.input_widget.TextInput(id="note", label="Note")]).send()


@cl.on_window_message
async def window(data: object) -> None:
    seen = (cl.user_session.get("window_seen") or 0) + 1
    cl.user_session.set("window_seen", seen)


@cl.on_settings_update
async def settings(values: dict) -> None:
    seen = (cl.user_session.get("settings_seen") or 0) + 1
    cl.user_session.set("settings_seen", seen)


@cl.on_message
async def reply(message: cl.Message) -> None:
    window_seen = cl.user_session.get("window_seen") or 0
    settings_seen = cl.user_session.get("settings_seen") or 0
    await cl.Message(
        content=f"echo {message.content} window={window_seen} settings={settings_seen}"
    ).send()
