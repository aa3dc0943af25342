"""Run the app's auth callbacks (password, header, OAuth) for the auth service."""

from __future__ import annotations

import logging
from typing import Any

from switchboard.schema.auth import (
    AuthReply,
    HeaderAuthCall,
    OAuthCall,
    PasswordAuthCall,
    auth_call_adapter,
)
from switchboard.schema.session import UserRef
from switchboard.sdk.callbacks import AppCallbacks, call_user_function
from switchboard.sdk.user import User

__all__ = ("AuthCaller", "run_auth_call")

logger = logging.getLogger(__name__)

REPLY_TTL_S = 60


class AuthCaller:
    def __init__(self, redis: Any, names: Any, app: AppCallbacks) -> None:
        self.redis = redis
        self.names = names
        self.app = app

    async def call(self, raw: str) -> None:
        call = auth_call_adapter.validate_json(raw)
        try:
            reply = AuthReply(user=await self._run(call))
        except Exception as exc:  # the verdict is "refused"; the reason goes to the log
            logger.exception("auth callback failed", extra={"kind": call.kind})
            reply = AuthReply(error=type(exc).__name__)
        key = self.names.auth_reply(call.id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.rpush(key, reply.model_dump_json())
            pipe.expire(key, REPLY_TTL_S)
            await pipe.execute()

    async def _run(self, call: PasswordAuthCall | HeaderAuthCall | OAuthCall) -> UserRef | None:
        if isinstance(call, PasswordAuthCall):
            callback = self.app.get("password_auth_callback")
            args: tuple[Any, ...] = (call.username, call.password)
        elif isinstance(call, HeaderAuthCall):
            callback = self.app.get("header_auth_callback")
            args = (call.headers,)
        else:
            callback = self.app.get("oauth_callback")
            default = User(
                identifier=call.default_user.identifier,
                display_name=call.default_user.display_name,
                metadata=dict(call.default_user.metadata),
            )
            args = (call.provider_id, call.token, call.raw_user_data, default, call.id_token)
        if callback is None:
            return None
        user = await call_user_function(callback, *args)
        if user is None:
            return None
        if not isinstance(user, User):
            raise TypeError("auth callbacks must return a switchboard User or None")
        return UserRef(
            identifier=user.identifier, display_name=user.display_name, metadata=user.metadata
        )


async def run_auth_call(ctx: dict[str, Any], raw: str) -> None:
    caller: AuthCaller = ctx["auth_caller"]
    await caller.call(raw)
