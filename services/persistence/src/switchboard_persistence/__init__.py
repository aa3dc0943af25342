"""Switchboard persistence service: the persist-stream consumer and the history REST API.

Exports ``PersistenceError``, ``PersistenceSettings``, ``create_app``, each loaded on
first use, so importing one submodule (a test, ``python -m switchboard_persistence``)
does not pull in the whole service.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from switchboard.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from switchboard_persistence.app import create_app
    from switchboard_persistence.errors import PersistenceError
    from switchboard_persistence.settings import PersistenceSettings

__all__ = ("PersistenceError", "PersistenceSettings", "create_app")

_HOMES = {
    "create_app": "app",
    "PersistenceError": "errors",
    "PersistenceSettings": "settings",
}

__getattr__ = lazy_exports(__name__, _HOMES)
