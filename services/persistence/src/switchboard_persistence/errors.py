"""Errors the persistence service turns into HTTP answers or dead letters."""

from __future__ import annotations

__all__ = ("InvalidEvent", "PersistenceError", "ThreadNotFound")


class PersistenceError(Exception):
    """Base of the errors the REST API maps to a status code."""

    status_code = 500


class ThreadNotFound(PersistenceError):
    """Missing, deleted or not the caller's: the answer is the same so existence never leaks."""

    status_code = 404

    def __init__(self) -> None:
        super().__init__("Thread not found")


class InvalidEvent(ValueError):
    """A persistence event that parsed but cannot be applied (no step id, no thread)."""
