"""Sessions service errors.

SessionsError
 ├── SessionForbidden   the session belongs to another identity (403)
 └── SessionEnded       the session is ending; the client must start a new one (409)
"""

from __future__ import annotations

__all__ = ("SessionEnded", "SessionForbidden", "SessionsError")


class SessionsError(Exception):
    status_code = 400


class SessionForbidden(SessionsError):
    status_code = 403


class SessionEnded(SessionsError):
    status_code = 409
