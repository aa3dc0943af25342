"""Chainlit's chat profiles and starters pattern, with per-profile config overrides."""

import switchboard as cl


@cl.set_chat_profiles
async def profiles(user: cl.User | None, language: str | None) -> list[cl.ChatProfile]:
    return [
        cl.ChatProfile(name="Fast", markdown_description="The quick one.", default=True),
        cl.ChatProfile(
            name="Careful",
            markdown_description="The thorough one.",
            config_overrides={"ui": {"name": "Careful Assistant"}, "features": {"latex": True}},
        ),
    ]


@cl.set_starters
async def starters(user: cl.User | None, language: str | None) -> list[cl.Starter]:
    return [cl.Starter(label="Say hi", message="hi"), cl.Starter(label="Help", message="help")]


@cl.on_message
async def main(message: cl.Message) -> None:
    profile = cl.user_session.get("chat_profile")
    await cl.Message(content=f"[{profile}] {message.content}").send()
