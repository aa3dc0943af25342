"""When login is required (Chainlit's rule, reference §3.1, plus the built-in store)."""

from __future__ import annotations

from typing import Any

__all__ = ("LOGIN_CALLBACKS", "app_callbacks", "login_required")

LOGIN_CALLBACKS = ("password_auth_callback", "header_auth_callback", "oauth_callback")


def app_callbacks(manifest: dict[str, Any] | None) -> dict[str, bool]:
    callbacks = (manifest or {}).get("callbacks", {})
    return {name: bool(callbacks.get(name)) for name in (*LOGIN_CALLBACKS, "on_logout")}


def login_required(
    manifest: dict[str, Any] | None, *, custom_auth: bool, store_has_users: bool, oauth: bool
) -> bool:
    callbacks = app_callbacks(manifest)
    return (
        custom_auth
        or callbacks["password_auth_callback"]
        or callbacks["header_auth_callback"]
        or (callbacks["oauth_callback"] and oauth)
        or store_has_users
    )
