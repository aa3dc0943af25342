"""Chainlit's ``chainlit.logger``: a logger for app code, under the worker's log setup."""

import logging

logger = logging.getLogger("switchboard.app")

__all__ = ("logger",)
