"""Chainlit's ``chainlit.mistralai``."""

from switchboard.sdk.instrumentation import instrument_mistralai

__all__ = ("instrument_mistralai",)
