"""Chainlit's ``chainlit.data``: the data-layer base class and the app's data layer.

An app that returns a ``BaseDataLayer`` from ``@cl.data_layer`` gets that instance
from ``get_data_layer()`` in its own process; the persistence service, in ``app``
mode, builds its own from the same function and sends every stored write there
(docs/persistence-api.md). With no ``@cl.data_layer``, threads, steps, elements and
feedback live in the persistence service's database and ``get_data_layer()`` raises
naming it.
"""

from __future__ import annotations

import threading

from switchboard.data.base import BaseDataLayer
from switchboard.data.utils import queue_until_user_message
from switchboard.sdk.callbacks import registry
from switchboard.sdk.unavailable import UnavailableError

__all__ = ("BaseDataLayer", "get_data_layer", "queue_until_user_message")

_NO_DATA_LAYER = (
    "chainlit.data.get_data_layer() is unavailable: the app defines no @cl.data_layer. "
    "Threads, steps, elements and feedback are stored by Switchboard's persistence service "
    "(SWITCHBOARD_DATABASE_URL); browsers read them through the gateway's REST routes "
    "(see docs/persistence-api.md)."
)

_lock = threading.Lock()
_built: tuple[object, BaseDataLayer] | None = None


def get_data_layer() -> BaseDataLayer:
    """The app's data layer, built once per process from its ``@cl.data_layer`` function."""
    global _built
    factory = registry.data_layer
    if factory is None:
        raise UnavailableError(_NO_DATA_LAYER)
    with _lock:
        if _built is not None and _built[0] is factory:
            return _built[1]
        layer = factory()
        if not isinstance(layer, BaseDataLayer):
            raise TypeError(
                f"@data_layer {getattr(factory, '__name__', factory)!r} returned "
                f"{type(layer).__name__}, not a BaseDataLayer"
            )
        _built = (factory, layer)
        return layer
