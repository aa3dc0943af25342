"""Chainlit's ``chainlit.user_session``."""

from switchboard.sdk.user_session import UserSession, user_session

__all__ = ("UserSession", "user_session")
