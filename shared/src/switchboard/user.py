"""Chainlit's ``chainlit.user``."""

from switchboard.sdk.dicts import UserDict
from switchboard.sdk.user import PersistedUser, User

__all__ = ("PersistedUser", "User", "UserDict")
