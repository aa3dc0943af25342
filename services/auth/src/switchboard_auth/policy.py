"""When login is required (Chainlit's rule, reference §3.1, plus the built-in store)."""

from __future__ import annotations

from switchboard.schema.manifest import AppManifest

__all__ = ("login_required",)


def login_required(
    manifest: AppManifest, *, custom_auth: bool, store_has_users: bool, oauth: bool
) -> bool:
    return (
        custom_auth
        or manifest.has("password_auth_callback")
        or manifest.has("header_auth_callback")
        or (manifest.has("oauth_callback") and oauth)
        or store_has_users
    )
