"""The OAuth providers Chainlit knows, configured from Chainlit's environment variables.

A provider is configured when all of its required variables are set.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from switchboard.schema.session import UserRef

__all__ = ("PROVIDER_IDS", "Provider", "configured_providers")

UserMapper = Callable[[dict[str, Any], str], UserRef]


def _by(field_name: str, image: str | None = None) -> UserMapper:
    def mapper(raw: dict[str, Any], provider_id: str) -> UserRef:
        identifier = raw.get(field_name)
        if not isinstance(identifier, str) or not identifier:
            raise ValueError(f"user info has no {field_name!r}")
        metadata: dict[str, Any] = {"provider": provider_id}
        if image and raw.get(image):
            metadata["image"] = raw[image]
        return UserRef(identifier=identifier, metadata=metadata)

    return mapper


@dataclass(frozen=True)
class Provider:
    id: str
    client_id: str
    client_secret: str
    authorize_url: str
    token_url: str
    userinfo_url: str
    scope: str
    to_user: UserMapper
    authorize_params: dict[str, str] = field(default_factory=dict)
    # azure-ad-hybrid answers with a form POST carrying an id_token.
    form_post: bool = False

    def prompt(self, env: Mapping[str, str]) -> str | None:
        key = self.id.upper().replace("-", "_")
        return env.get(f"OAUTH_{key}_PROMPT") or env.get("OAUTH_PROMPT") or None


def _https(domain: str) -> str:
    return domain if domain.startswith(("http://", "https://")) else f"https://{domain}"


def _github(env: Mapping[str, str]) -> Provider | None:
    if not (env.get("OAUTH_GITHUB_CLIENT_ID") and env.get("OAUTH_GITHUB_CLIENT_SECRET")):
        return None
    return Provider(
        id="github",
        client_id=env["OAUTH_GITHUB_CLIENT_ID"],
        client_secret=env["OAUTH_GITHUB_CLIENT_SECRET"],
        authorize_url=env.get("OAUTH_GITHUB_AUTH_URL", "https://github.com/login/oauth/authorize"),
        token_url=env.get("OAUTH_GITHUB_TOKEN_URL", "https://github.com/login/oauth/access_token"),
        userinfo_url=env.get("OAUTH_GITHUB_USER_INFO_URL", "https://api.github.com/user"),
        scope="user:email",
        to_user=_by("login", "avatar_url"),
    )


def _google(env: Mapping[str, str]) -> Provider | None:
    if not (env.get("OAUTH_GOOGLE_CLIENT_ID") and env.get("OAUTH_GOOGLE_CLIENT_SECRET")):
        return None
    return Provider(
        id="google",
        client_id=env["OAUTH_GOOGLE_CLIENT_ID"],
        client_secret=env["OAUTH_GOOGLE_CLIENT_SECRET"],
        authorize_url="https://accounts.google.com/o/oauth2/v2/auth",
        token_url="https://oauth2.googleapis.com/token",
        userinfo_url="https://www.googleapis.com/userinfo/v2/me",
        scope="openid https://www.googleapis.com/auth/userinfo.profile "
        "https://www.googleapis.com/auth/userinfo.email",
        to_user=_by("email", "picture"),
    )


def _azure(env: Mapping[str, str], hybrid: bool) -> Provider | None:
    key = "OAUTH_AZURE_AD_HYBRID" if hybrid else "OAUTH_AZURE_AD"
    needed = (f"{key}_CLIENT_ID", f"{key}_CLIENT_SECRET", f"{key}_TENANT_ID")
    if not all(env.get(n) for n in needed):
        return None
    single = env.get(f"{key}_ENABLE_SINGLE_TENANT", "").lower() in ("1", "true", "yes")
    tenant = env[f"{key}_TENANT_ID"] if single else "common"
    base = f"https://login.microsoftonline.com/{tenant}/oauth2/v2.0"
    params = {"response_mode": "form_post", "response_type": "code id_token"} if hybrid else {}
    return Provider(
        id="azure-ad-hybrid" if hybrid else "azure-ad",
        client_id=env[f"{key}_CLIENT_ID"],
        client_secret=env[f"{key}_CLIENT_SECRET"],
        authorize_url=f"{base}/authorize",
        token_url=f"{base}/token",
        userinfo_url="https://graph.microsoft.com/v1.0/me",
        scope=env.get(f"{key}_SCOPES", "https://graph.microsoft.com/User.Read"),
        to_user=_by("userPrincipalName"),
        authorize_params=params,
        form_post=hybrid,
    )


def _oidc(
    env: Mapping[str, str],
    provider_id: str,
    key: str,
    base: str,
    paths: tuple[str, str, str],
    scope: str = "openid profile email",
) -> Provider:
    return Provider(
        id=provider_id,
        client_id=env[f"{key}_CLIENT_ID"],
        client_secret=env[f"{key}_CLIENT_SECRET"],
        authorize_url=base + paths[0],
        token_url=base + paths[1],
        userinfo_url=base + paths[2],
        scope=scope,
        to_user=_by("email", "picture"),
    )


def _needs(env: Mapping[str, str], key: str, *extra: str) -> bool:
    return all(env.get(f"{key}_{n}") for n in ("CLIENT_ID", "CLIENT_SECRET", *extra))


def _okta(env: Mapping[str, str]) -> Provider | None:
    if not _needs(env, "OAUTH_OKTA", "DOMAIN"):
        return None
    server = env.get("OAUTH_OKTA_AUTHORIZATION_SERVER_ID")
    prefix = f"/oauth2/{server}/v1" if server else "/oauth2/v1"
    return _oidc(
        env,
        "okta",
        "OAUTH_OKTA",
        _https(env["OAUTH_OKTA_DOMAIN"]),
        (f"{prefix}/authorize", f"{prefix}/token", f"{prefix}/userinfo"),
    )


def _auth0(env: Mapping[str, str]) -> Provider | None:
    if not _needs(env, "OAUTH_AUTH0", "DOMAIN"):
        return None
    return _oidc(
        env,
        "auth0",
        "OAUTH_AUTH0",
        _https(env["OAUTH_AUTH0_DOMAIN"]),
        ("/authorize", "/oauth/token", "/userinfo"),
    )


def _descope(env: Mapping[str, str]) -> Provider | None:
    if not _needs(env, "OAUTH_DESCOPE"):
        return None
    return _oidc(
        env,
        "descope",
        "OAUTH_DESCOPE",
        "https://api.descope.com/oauth2/v1",
        ("/authorize", "/token", "/userinfo"),
    )


def _cognito(env: Mapping[str, str]) -> Provider | None:
    if not _needs(env, "OAUTH_COGNITO", "DOMAIN"):
        return None
    return _oidc(
        env,
        "aws-cognito",
        "OAUTH_COGNITO",
        _https(env["OAUTH_COGNITO_DOMAIN"]),
        ("/oauth2/authorize", "/oauth2/token", "/oauth2/userInfo"),
        scope=env.get("OAUTH_COGNITO_SCOPE", "openid profile email"),
    )


def _gitlab(env: Mapping[str, str]) -> Provider | None:
    if not _needs(env, "OAUTH_GITLAB", "DOMAIN"):
        return None
    return _oidc(
        env,
        "gitlab",
        "OAUTH_GITLAB",
        _https(env["OAUTH_GITLAB_DOMAIN"]),
        ("/oauth/authorize", "/oauth/token", "/oauth/userinfo"),
    )


def _keycloak(env: Mapping[str, str]) -> Provider | None:
    if not _needs(env, "OAUTH_KEYCLOAK", "REALM", "BASE_URL"):
        return None
    base = f"{env['OAUTH_KEYCLOAK_BASE_URL'].rstrip('/')}/realms/{env['OAUTH_KEYCLOAK_REALM']}"
    return _oidc(
        env,
        env.get("OAUTH_KEYCLOAK_NAME") or "keycloak",
        "OAUTH_KEYCLOAK",
        f"{base}/protocol/openid-connect",
        ("/auth", "/token", "/userinfo"),
    )


def _generic(env: Mapping[str, str]) -> Provider | None:
    if not _needs(env, "OAUTH_GENERIC", "AUTH_URL", "TOKEN_URL", "USER_INFO_URL", "SCOPES"):
        return None
    return Provider(
        id=env.get("OAUTH_GENERIC_NAME") or "generic",
        client_id=env["OAUTH_GENERIC_CLIENT_ID"],
        client_secret=env["OAUTH_GENERIC_CLIENT_SECRET"],
        authorize_url=env["OAUTH_GENERIC_AUTH_URL"],
        token_url=env["OAUTH_GENERIC_TOKEN_URL"],
        userinfo_url=env["OAUTH_GENERIC_USER_INFO_URL"],
        scope=env["OAUTH_GENERIC_SCOPES"],
        to_user=_by(env.get("OAUTH_GENERIC_USER_IDENTIFIER") or "email", "picture"),
    )


_FACTORIES: tuple[Callable[[Mapping[str, str]], Provider | None], ...] = (
    _github,
    _google,
    lambda env: _azure(env, hybrid=False),
    lambda env: _azure(env, hybrid=True),
    _okta,
    _auth0,
    _descope,
    _cognito,
    _gitlab,
    _keycloak,
    _generic,
)

PROVIDER_IDS = (
    "github",
    "google",
    "azure-ad",
    "azure-ad-hybrid",
    "okta",
    "auth0",
    "descope",
    "aws-cognito",
    "gitlab",
    "keycloak",
    "generic",
)


def configured_providers(env: Mapping[str, str] | None = None) -> list[Provider]:
    source = os.environ if env is None else env
    return [p for p in (factory(source) for factory in _FACTORIES) if p is not None]
