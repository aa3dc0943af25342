"""Chainlit's ``chainlit.mode``: the composer's mode pickers."""

from switchboard.sdk.types import Mode, ModeOption

__all__ = ("Mode", "ModeOption")
