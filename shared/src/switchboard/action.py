"""Chainlit's ``chainlit.action``."""

from switchboard.sdk.action import Action

__all__ = ("Action",)
