"""Switchboard auth service: Chainlit's login routes, users and token policy.

Exports ``AuthError``, ``AuthSettings``, ``create_app``, each loaded on first use, so
importing one submodule (a test, ``python -m switchboard_auth``) does not pull in the
whole service.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from switchboard.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from switchboard_auth.app import create_app
    from switchboard_auth.errors import AuthError
    from switchboard_auth.settings import AuthSettings

__all__ = ("AuthError", "AuthSettings", "create_app")

_HOMES = {
    "create_app": "app",
    "AuthError": "errors",
    "AuthSettings": "settings",
}

__getattr__ = lazy_exports(__name__, _HOMES)
