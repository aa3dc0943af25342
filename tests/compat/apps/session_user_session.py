"""user_session patterns: a list and a dict changed in place, accessors, built-in keys."""

import chainlit as cl

counter = cl.user_session.create_accessor("counter", 0, apply_fn=lambda x: x + 1)


@cl.on_chat_start
async def start():
    cl.user_session.set("history", [])
    cl.user_session.set("counts", {"messages": 0})
    session_id = cl.user_session.get("id")
    await cl.Message(
        content=f"id set: {bool(session_id)} profile={cl.user_session.get('chat_profile')!r}"
        f" settings={cl.user_session.get('chat_settings')} env={cl.user_session.get('env')}"
        f" user={cl.user_session.get('user')} client={cl.user_session.get('client_type')}"
        f" counter={counter.get()}"
    ).send()


@cl.on_message
async def main(message: cl.Message):
    history = cl.user_session.get("history")
    history.append(message.content)
    cl.user_session.get("counts")["messages"] += 1
    await cl.Message(content=f"{len(history)}").send()
    counts = cl.user_session.get("counts")
    missing = cl.user_session.get("missing", "default")
    await cl.Message(
        content=f"history={history} counts={counts} counter={counter.apply()} {missing}"
    ).send()
    if message.content == "c":
        counter.reset()
        cl.user_session.set("id", "mine")
        await cl.Message(content=f"{counter.get()} {cl.user_session.get('id') != 'mine'}").send()
