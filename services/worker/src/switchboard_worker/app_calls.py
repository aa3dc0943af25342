"""Run app callbacks that are not session work: auth, profiles, starters, sharing."""

from __future__ import annotations

import logging
from typing import Any

from starlette.datastructures import Headers

from switchboard.schema.app_calls import (
    AppCall,
    AppCallReply,
    ChatProfilesCall,
    HeaderAuthCall,
    LogoutCall,
    LogoutOutcome,
    OAuthCall,
    PasswordAuthCall,
    SharedThreadViewCall,
    StarterCategoriesCall,
    StartersCall,
    app_call_adapter,
)
from switchboard.schema.session import UserRef
from switchboard.sdk.callbacks import AppCallbacks, call_user_function
from switchboard.sdk.logout import LogoutRequest, LogoutResponse
from switchboard.sdk.user import PersistedUser, User

__all__ = ("AppCaller", "run_app_call")

logger = logging.getLogger(__name__)

REPLY_TTL_S = 60


def _user(ref: UserRef | None) -> User | None:
    if ref is None:
        return None
    if ref.id:
        return PersistedUser(
            identifier=ref.identifier,
            display_name=ref.display_name,
            metadata=dict(ref.metadata),
            id=ref.id,
        )
    return User(
        identifier=ref.identifier, display_name=ref.display_name, metadata=dict(ref.metadata)
    )


def _dicts(items: Any) -> list[dict[str, Any]]:
    return [i.to_dict() if hasattr(i, "to_dict") else dict(i) for i in items or []]


class AppCaller:
    def __init__(self, redis: Any, names: Any, app: AppCallbacks) -> None:
        self.redis = redis
        self.names = names
        self.app = app

    async def call(self, raw: str) -> None:
        call = app_call_adapter.validate_json(raw)
        try:
            reply = await self._run(call)
        except Exception as exc:  # the caller gets "no"; the reason goes to the log
            logger.exception("app call failed", extra={"kind": call.kind})
            reply = AppCallReply(error=type(exc).__name__)
        key = self.names.call_reply(call.id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.rpush(key, reply.model_dump_json())
            pipe.expire(key, REPLY_TTL_S)
            await pipe.execute()

    async def _run(self, call: AppCall) -> AppCallReply:
        if isinstance(call, PasswordAuthCall | HeaderAuthCall | OAuthCall):
            return AppCallReply(user=await self._auth(call))
        if isinstance(call, ChatProfilesCall):
            hook = self.app.get("set_chat_profiles")
            value = await call_user_function(hook, _user(call.user), call.language) if hook else []
            return AppCallReply(value=_dicts(value))
        if isinstance(call, StartersCall):
            hook = self.app.get("set_starters")
            value = await call_user_function(hook, _user(call.user), call.language) if hook else []
            return AppCallReply(value=_dicts(value))
        if isinstance(call, StarterCategoriesCall):
            hook = self.app.get("set_starter_categories")
            value = (
                await call_user_function(hook, _user(call.user), call.language, call.chat_profile)
                if hook
                else []
            )
            return AppCallReply(value=_dicts(value))
        if isinstance(call, SharedThreadViewCall):
            hook = self.app.get("on_shared_thread_view")
            allowed = bool(hook and await call_user_function(hook, call.thread, _user(call.viewer)))
            return AppCallReply(value=allowed)
        if isinstance(call, LogoutCall):
            return await self._logout(call)
        raise TypeError(f"unknown app call {call!r}")

    async def _logout(self, call: LogoutCall) -> AppCallReply:
        hook = self.app.get("on_logout")
        if hook is None:
            return AppCallReply(value=None)
        request = LogoutRequest(headers=call.headers, cookies=call.cookies, user=_user(call.user))
        response = LogoutResponse()
        result = await call_user_function(hook, request, response)
        if isinstance(result, LogoutResponse):
            result = None
        outcome = LogoutOutcome(result=result, cookies=response.changes)
        return AppCallReply(value=outcome.model_dump(mode="json"))

    async def _auth(self, call: PasswordAuthCall | HeaderAuthCall | OAuthCall) -> UserRef | None:
        if isinstance(call, PasswordAuthCall):
            callback = self.app.get("password_auth_callback")
            args: tuple[Any, ...] = (call.username, call.password)
        elif isinstance(call, HeaderAuthCall):
            callback = self.app.get("header_auth_callback")
            # Chainlit hands the callback Starlette's case-insensitive Headers.
            args = (Headers(headers=call.headers),)
        else:
            callback = self.app.get("oauth_callback")
            args = (
                call.provider_id,
                call.token,
                call.raw_user_data,
                _user(call.default_user),
                call.id_token,
            )
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


async def run_app_call(ctx: dict[str, Any], raw: str) -> None:
    caller: AppCaller = ctx["app_caller"]
    await caller.call(raw)
