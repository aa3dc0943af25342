"""Chat profiles with icons, display names, per-profile starters and config overrides."""

import chainlit as cl
from chainlit.config import ChainlitConfigOverrides, UISettings


@cl.set_chat_profiles
async def chat_profile(current_user: cl.User):
    return [
        cl.ChatProfile(
            name="GPT-3.5",
            markdown_description="The underlying LLM model is **GPT-3.5**.",
            icon="https://picsum.photos/200",
        ),
        cl.ChatProfile(
            name="GPT-4",
            display_name="GPT 4 (smart)",
            markdown_description="The underlying LLM model is **GPT-4**.",
            icon="https://picsum.photos/250",
            default=True,
            starters=[
                cl.Starter(
                    label="Explain", message="Explain superconductors", icon="/public/idea.svg"
                )
            ],
            config_overrides=ChainlitConfigOverrides(ui=UISettings(name="Smart Assistant")),
        ),
    ]


@cl.on_chat_start
async def on_chat_start():
    chat_profile = cl.user_session.get("chat_profile")
    await cl.Message(content=f"starting chat using the {chat_profile} chat profile").send()


@cl.on_message
async def main(message: cl.Message):
    await cl.Message(content=f"{cl.user_session.get('chat_profile')}: {message.content}").send()
    await cl.Message(content="named", author="Tutor").send()
