"""The first app most people write: history kept in user_session, changed in place."""

import os

import switchboard as cl


class Client:
    """Stands for an SDK client or a chain: it cannot travel as JSON."""


@cl.on_chat_start
async def start():
    cl.user_session.set("history", [])
    cl.user_session.set("profile", {"turns": 0, "initials": []})
    cl.user_session.set("client", Client())


@cl.on_message
async def main(message: cl.Message):
    history = cl.user_session.get("history")
    history.append(message.content)
    profile = cl.user_session.get("profile")
    profile["turns"] += 1
    profile["initials"].append(message.content[:1])
    client = cl.user_session.get("client")
    if client is None:
        # Documented pattern: an in-process value is rebuilt where it is missing.
        cl.user_session.set("client", Client())
        note = "client rebuilt"
    else:
        note = "client kept"
    await cl.Message(
        content=f"{len(history)} messages so far; turns={profile['turns']}; "
        f"initials={''.join(profile['initials'])}; {note}; pid={os.getpid()}"
    ).send()
