"""Errors the persistence service turns into HTTP answers or dead letters."""

from __future__ import annotations

__all__ = (
    "ElementNotFound",
    "FeedbackNotFound",
    "FileNotFound",
    "FileTooLarge",
    "InvalidEvent",
    "NotFound",
    "PersistenceError",
    "StorageUnavailable",
    "ThreadNotFound",
    "Unauthorized",
)


class PersistenceError(Exception):
    """Base of the errors the REST API maps to a status code."""

    status_code = 500


class NotFound(PersistenceError):
    """Missing, deleted or not the caller's: one answer per kind, so existence never leaks."""

    status_code = 404
    message = "Not found"

    def __init__(self) -> None:
        super().__init__(self.message)


class ThreadNotFound(NotFound):
    message = "Thread not found"


class ElementNotFound(NotFound):
    message = "Element not found"


class FeedbackNotFound(NotFound):
    message = "Feedback not found"


class FileNotFound(NotFound):
    message = "File not found"


class Unauthorized(PersistenceError):
    """A route that needs a named user was called for nobody."""

    status_code = 401

    def __init__(self) -> None:
        super().__init__("Unauthorized")


class FileTooLarge(PersistenceError):
    status_code = 413

    def __init__(self, limit: int) -> None:
        super().__init__(f"File too large (limit {limit} bytes)")


class StorageUnavailable(PersistenceError):
    """Object storage is unreachable and the local spool cannot take the object."""

    status_code = 503


class InvalidEvent(ValueError):
    """A persistence event that parsed but cannot be applied (no step id, no thread)."""
