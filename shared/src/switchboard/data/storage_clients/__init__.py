"""Chainlit's ``chainlit.data.storage_clients`` package (the base class is in ``base``)."""

__all__ = ()
