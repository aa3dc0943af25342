"""Chainlit's ``chainlit.openai``."""

from switchboard.sdk.instrumentation import instrument_openai

__all__ = ("instrument_openai",)
