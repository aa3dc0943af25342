"""Test app with password, header and OAuth login callbacks."""

import switchboard as cl


@cl.password_auth_callback
def password(username: str, password: str) -> cl.User | None:
    if (username, password) == ("alice", "correct horse battery"):
        return cl.User(identifier="alice", metadata={"role": "admin"})
    return None


@cl.header_auth_callback
async def header(headers) -> cl.User | None:
    # Chainlit passes case-insensitive headers: any spelling of the name finds it.
    user = headers.get("X-Test-User")
    return cl.User(identifier=user, metadata={"via": "header"}) if user else None


@cl.oauth_callback
async def oauth(provider_id: str, token: str, raw_user_data: dict, default_user: cl.User):
    if default_user.identifier.endswith("@blocked.example"):
        return None
    default_user.metadata["raw_name"] = raw_user_data.get("name")
    return default_user


@cl.on_message
async def reply(message: cl.Message) -> None:
    user = cl.user_session.get("user")
    await cl.Message(content=f"hi {user.identifier if user else 'anonymous'}").send()
