"""Chainlit's ``chainlit.message``: messages and asks."""

from switchboard.sdk.ask import (
    AskActionMessage,
    AskElementMessage,
    AskFileMessage,
    AskUserMessage,
)
from switchboard.sdk.message import ErrorMessage, Message

__all__ = (
    "AskActionMessage",
    "AskElementMessage",
    "AskFileMessage",
    "AskUserMessage",
    "ErrorMessage",
    "Message",
)
