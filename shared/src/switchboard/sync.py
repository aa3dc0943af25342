"""Chainlit's ``chainlit.sync``: between sync app code and the worker's event loop."""

from switchboard.sdk.utils import make_async, run_sync

__all__ = ("make_async", "run_sync")
