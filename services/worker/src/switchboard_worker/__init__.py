"""Switchboard worker service: runs the app's callbacks for queued session inputs.

Exports ``WorkerError``, ``WorkerSettings``, ``create_worker``, ``load_checked_app``,
each loaded on first use, so importing one submodule (a test, ``python -m
switchboard_worker``) does not pull in the whole service.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from switchboard.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from switchboard_worker.app import create_worker, load_checked_app
    from switchboard_worker.errors import WorkerError
    from switchboard_worker.settings import WorkerSettings

__all__ = ("WorkerError", "WorkerSettings", "create_worker", "load_checked_app")

_HOMES = {
    "create_worker": "app",
    "load_checked_app": "app",
    "WorkerError": "errors",
    "WorkerSettings": "settings",
}

__getattr__ = lazy_exports(__name__, _HOMES)
