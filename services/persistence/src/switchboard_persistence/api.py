"""The persistence REST API, for internal callers holding a service token.

The token names the end user the calling service vouches for (or nobody, for
anonymous use). Every route checks ownership itself and answers 404 for what
that user may not see, so another user's ids reveal nothing.
"""

from __future__ import annotations

from fastapi import APIRouter

from switchboard_persistence.routes import favorites, feedback, files, threads
from switchboard_persistence.routes.threads import visible_to

__all__ = ("build_router", "visible_to")


def build_router(max_file_bytes: int) -> APIRouter:
    router = APIRouter()
    router.include_router(threads.router())
    router.include_router(feedback.router())
    router.include_router(favorites.router())
    router.include_router(files.router(max_file_bytes))
    return router
