"""Chainlit's ``chainlit.chat_context``: the session's messages, for LLM prompts."""

from switchboard.sdk.chat_context import ChatContext, chat_context

__all__ = ("ChatContext", "chat_context")
