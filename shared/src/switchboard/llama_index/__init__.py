"""Chainlit's ``chainlit.llama_index`` package (its handler is in ``callbacks``)."""

__all__ = ()
