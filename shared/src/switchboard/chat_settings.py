"""Chainlit's ``chainlit.chat_settings``."""

from switchboard.sdk.chat_settings import ChatSettings

__all__ = ("ChatSettings",)
