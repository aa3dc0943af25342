"""When login is required (Chainlit's rule, reference §3.1)."""

from __future__ import annotations

from typing import Any

__all__ = ("LOGIN_CALLBACKS", "auth_config", "login_required")

LOGIN_CALLBACKS = ("password_auth_callback", "header_auth_callback", "oauth_callback")


def login_required(manifest: dict[str, Any] | None, custom_auth: bool) -> bool:
    callbacks = (manifest or {}).get("callbacks", {})
    return custom_auth or any(callbacks.get(name) for name in LOGIN_CALLBACKS)


def auth_config(
    manifest: dict[str, Any] | None, custom_auth: bool, default_theme: str, ui: dict[str, Any]
) -> dict[str, Any]:
    callbacks = (manifest or {}).get("callbacks", {})
    return {
        "requireLogin": login_required(manifest, custom_auth),
        "passwordAuth": bool(callbacks.get("password_auth_callback")),
        "headerAuth": bool(callbacks.get("header_auth_callback")),
        "oauthProviders": [],
        "default_theme": default_theme,
        "ui": ui,
    }
