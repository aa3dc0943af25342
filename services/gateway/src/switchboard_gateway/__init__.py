"""Switchboard gateway service: Socket.IO, Chainlit's REST API and the web UI on one origin.

Exports ``GatewayApps``, ``GatewayError``, ``GatewaySettings``, ``create_app``, each
loaded on first use, so importing one submodule (a test, ``python -m
switchboard_gateway``) does not pull in the whole service.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from switchboard.lazy_exports import lazy_exports

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

__getattr__ = lazy_exports(__name__, _HOMES)
