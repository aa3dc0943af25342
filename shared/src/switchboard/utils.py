"""Chainlit's ``chainlit.utils``: ``mount_chainlit`` raises when called.

Mounting the chat inside another FastAPI app needs the app module in the web
server's process; Switchboard runs it in workers behind its own gateway.
"""

from switchboard.sdk.unavailable import unavailable_function

mount_chainlit = unavailable_function(
    "chainlit.utils.mount_chainlit()",
    "Run the app with `switchboard run app.py` (or the compose/Kubernetes deployment) and "
    "route the path you would have mounted it on to the gateway from your proxy "
    "(see docs/chainlit-compat.md).",
)

__all__ = ("mount_chainlit",)
