"""Chainlit's ``chainlit.server``: ``app`` is a stand-in that raises when used.

Chainlit apps add routes to its FastAPI ``app``; in Switchboard the gateway
serves HTTP and never loads the app module, so routes added in a worker would
never be served.
"""

from switchboard.sdk.unavailable import UnavailableObject

app = UnavailableObject(
    "chainlit.server.app",
    "Serve extra routes from your own ASGI service and route its paths to it in the "
    "proxy in front of the gateway (see docs/chainlit-compat.md).",
)

__all__ = ("app",)
