"""Switchboard auth service: Chainlit's login routes, users and token policy.

Exports ``AuthError``, ``AuthSettings``, ``create_app``, each loaded on first use, so
importing one submodule (a test, ``python -m switchboard_auth``) does not pull in the
whole service.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

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


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{home}"), name)
