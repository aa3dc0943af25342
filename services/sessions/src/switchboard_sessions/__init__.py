"""Switchboard sessions service: session connect/disconnect for gateways, and the reaper.

Exports ``SessionsError``, ``SessionsSettings``, ``create_app``, each loaded on first
use, so importing one submodule (a test, ``python -m switchboard_sessions``) does not
pull in the whole service.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from switchboard.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from switchboard_sessions.app import create_app
    from switchboard_sessions.errors import SessionsError
    from switchboard_sessions.settings import SessionsSettings

__all__ = ("SessionsError", "SessionsSettings", "create_app")

_HOMES = {
    "create_app": "app",
    "SessionsError": "errors",
    "SessionsSettings": "settings",
}

__getattr__ = lazy_exports(__name__, _HOMES)
