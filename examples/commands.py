"""Chainlit's commands and modes pattern: the composer offers them, messages carry them."""

import switchboard as cl


@cl.on_chat_start
async def start() -> None:
    await cl.context.emitter.set_commands(
        [{"id": "search", "icon": "globe", "description": "Search the web"}]
    )
    await cl.context.emitter.set_modes(
        [
            cl.Mode(
                id="depth",
                name="Depth",
                options=[
                    cl.ModeOption(id="quick", name="Quick", default=True),
                    cl.ModeOption(id="deep", name="Deep"),
                ],
            )
        ]
    )


@cl.on_message
async def main(message: cl.Message) -> None:
    depth = (message.modes or {}).get("depth", "quick")
    await cl.Message(content=f"command={message.command} depth={depth}").send()
