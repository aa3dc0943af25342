"""Chainlit's ``chainlit.oauth_providers``.

OAuth runs in Switchboard's auth service, which never loads the app module, so
a provider class defined in the app cannot take part. ``OAuthProvider`` can
still be subclassed (the app imports), but registering an instance in
``providers`` and the lookup functions raise naming the alternative: the
built-in providers, or the generic one configured with ``OAUTH_GENERIC_*``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any, NoReturn, SupportsIndex

from switchboard.sdk.unavailable import unavailable, unavailable_function
from switchboard.sdk.user import User

__all__ = (
    "OAuthProvider",
    "get_configured_oauth_providers",
    "get_oauth_provider",
    "providers",
)

_ALTERNATIVE = (
    "Configure one of Chainlit's built-in providers with its OAUTH_<PROVIDER>_* variables, or "
    "any other OAuth 2 provider with OAUTH_GENERIC_CLIENT_ID, _CLIENT_SECRET, _AUTH_URL, "
    "_TOKEN_URL, _USER_INFO_URL, _SCOPES and _USER_IDENTIFIER, on the auth service; "
    "@cl.oauth_callback still runs in the workers."
)


class OAuthProvider:
    """Chainlit's provider base class, with its attribute and method names."""

    id: str
    env: list[str]
    client_id: str
    client_secret: str
    authorize_url: str
    authorize_params: dict[str, str]
    default_prompt: str | None = None

    def is_configured(self) -> bool:
        return all(os.environ.get(name) for name in self.env)

    def get_env_prefix(self) -> str:
        return self.id.upper().replace("-", "_")

    def get_prompt(self) -> str | None:
        prefix = self.get_env_prefix()
        return (
            os.environ.get(f"OAUTH_{prefix}_PROMPT")
            or os.environ.get("OAUTH_PROMPT")
            or self.default_prompt
        )

    async def get_raw_token_response(self, code: str, url: str) -> dict[str, Any]:
        raise NotImplementedError

    async def get_token(self, code: str, url: str) -> str:
        raise NotImplementedError

    async def get_user_info(self, token: str) -> tuple[dict[str, str], User]:
        raise NotImplementedError


class _Providers(list[OAuthProvider]):
    """Chainlit's provider registry; adding to it cannot reach the auth service."""

    def _refuse(self) -> NoReturn:
        unavailable(
            "Registering an OAuth provider in chainlit.oauth_providers.providers", _ALTERNATIVE
        )

    def append(self, _item: OAuthProvider) -> None:
        self._refuse()

    def extend(self, _items: Iterable[OAuthProvider]) -> None:
        self._refuse()

    def insert(self, _index: SupportsIndex, _item: OAuthProvider) -> None:
        self._refuse()

    def __iadd__(self, _items: Iterable[OAuthProvider]) -> _Providers:  # type: ignore[override,misc]
        self._refuse()


providers = _Providers()

get_oauth_provider = unavailable_function(
    "chainlit.oauth_providers.get_oauth_provider()", _ALTERNATIVE
)
get_configured_oauth_providers = unavailable_function(
    "chainlit.oauth_providers.get_configured_oauth_providers()", _ALTERNATIVE
)
