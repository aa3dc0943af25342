"""Chainlit's ``chainlit.langchain`` package (its handlers are in ``callbacks``)."""

__all__ = ()
