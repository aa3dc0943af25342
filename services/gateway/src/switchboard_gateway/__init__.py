"""Switchboard gateway service: Socket.IO, Chainlit's REST API and the web UI on one origin.

Exports ``GatewayApps``, ``GatewayError``, ``GatewaySettings``, ``create_app``, each
loaded on first use, so importing one submodule (a test, ``python -m
switchboard_gateway``) does not pull in the whole service.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from switchboard_gateway.app import GatewayApps, create_app
    from switchboard_gateway.errors import GatewayError
    from switchboard_gateway.settings import GatewaySettings

__all__ = ("GatewayApps", "GatewayError", "GatewaySettings", "create_app")

_HOMES = {
    "GatewayApps": "app",
    "create_app": "app",
    "GatewayError": "errors",
    "GatewaySettings": "settings",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{home}"), name)
