"""Chainlit's ``chainlit.user_session``."""

from switchboard.sdk.user_session import SessionAccessor, UserSession, user_session

__all__ = ("SessionAccessor", "UserSession", "user_session")
