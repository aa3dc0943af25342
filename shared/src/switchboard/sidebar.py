"""Chainlit's ``chainlit.sidebar``."""

from switchboard.sdk.element import ElementSidebar

__all__ = ("ElementSidebar",)
