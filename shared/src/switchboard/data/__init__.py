"""Chainlit's ``chainlit.data``: data-layer base classes, by name.

Threads, steps, elements and feedback live in Switchboard's persistence
service; ``get_data_layer()`` raises naming it (see docs/persistence-api.md).
"""

from switchboard.data.base import BaseDataLayer
from switchboard.data.utils import queue_until_user_message
from switchboard.sdk.unavailable import unavailable_function

get_data_layer = unavailable_function(
    "chainlit.data.get_data_layer()",
    "Threads, steps, elements and feedback are stored by Switchboard's persistence service "
    "(SWITCHBOARD_DATABASE_URL); browsers read them through the gateway's REST routes "
    "(see docs/persistence-api.md).",
)

__all__ = ("BaseDataLayer", "get_data_layer", "queue_until_user_message")
