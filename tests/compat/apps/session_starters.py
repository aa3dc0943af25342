"""Starters with icons and commands, and starter categories, answered like any message."""

import chainlit as cl


@cl.set_starters
async def set_starters():
    return [
        cl.Starter(
            label="Morning routine ideation",
            message="Can you help me create a personalized morning routine?",
            icon="/public/idea.svg",
        ),
        cl.Starter(label="Search the news", message="What happened today?", command="search"),
        cl.Starter(label="Explain superconductors", message="Explain superconductors."),
    ]


@cl.set_starter_categories
async def starter_categories(user, language, chat_profile):
    return [
        cl.StarterCategory(
            label="Learn",
            icon="book",
            starters=[cl.Starter(label="Python", message="Teach me Python.")],
        ),
        cl.StarterCategory(label="Empty"),
    ]


@cl.on_message
async def main(message: cl.Message):
    await cl.Message(content=f"starter: {message.content} command={message.command}").send()
