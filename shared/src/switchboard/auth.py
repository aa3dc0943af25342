"""Chainlit's ``chainlit.auth``.

``create_jwt`` works: it signs Chainlit's token for a user with
``CHAINLIT_AUTH_SECRET``, which a client exchanges for a session at
``POST /auth/jwt`` (the copilot's ``accessToken``). The rest are Chainlit's
FastAPI dependencies and cookie helpers; the gateway and the auth service do
that work, so they raise naming the alternative.
"""

from __future__ import annotations

import os

from switchboard.config import ConfigError, Settings
from switchboard.schema.session import UserRef
from switchboard.sdk.unavailable import unavailable_function
from switchboard.sdk.user import User
from switchboard.tokens import issue_user_token

__all__ = (
    "authenticate_user",
    "clear_auth_cookie",
    "create_jwt",
    "get_configuration",
    "get_current_user",
    "get_token_from_cookies",
    "require_login",
    "set_auth_cookie",
)


def create_jwt(data: User) -> str:
    """A token for ``data`` valid for ``[project] user_session_timeout`` seconds."""
    secret = os.environ.get("CHAINLIT_AUTH_SECRET") or os.environ.get("SWITCHBOARD_AUTH_SECRET")
    if not secret:
        raise ConfigError(
            "create_jwt needs CHAINLIT_AUTH_SECRET; generate one with `switchboard create-secret` "
            "and give the same value to the gateway, the auth service and the workers"
        )
    lifetime = Settings().app_config().project.user_session_timeout
    user = UserRef(
        identifier=data.identifier, display_name=data.display_name, metadata=data.metadata
    )
    return issue_user_token(secret, user, lifetime)


_REQUEST_SIDE = (
    "The gateway authenticates every request before the app sees it; in a callback, "
    "read the signed-in user with cl.user_session.get('user') or cl.context.session.user."
)

get_current_user = unavailable_function("chainlit.auth.get_current_user()", _REQUEST_SIDE)
authenticate_user = unavailable_function("chainlit.auth.authenticate_user()", _REQUEST_SIDE)
get_token_from_cookies = unavailable_function(
    "chainlit.auth.get_token_from_cookies()", _REQUEST_SIDE
)
require_login = unavailable_function(
    "chainlit.auth.require_login()",
    "The auth service decides whether login is required (GET /auth/config answers it).",
)
get_configuration = unavailable_function(
    "chainlit.auth.get_configuration()",
    "The auth service answers GET /auth/config with the login configuration.",
)
_COOKIES = "The auth service sets and clears the session cookie at /login, /auth/jwt and /logout."
set_auth_cookie = unavailable_function("chainlit.auth.set_auth_cookie()", _COOKIES)
clear_auth_cookie = unavailable_function("chainlit.auth.clear_auth_cookie()", _COOKIES)
