"""What every route needs: the caller's identity and the stores, from the app's state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import FastAPI

from switchboard.internal_auth import InternalCaller
from switchboard.service import service_caller
from switchboard_persistence.feedback import FeedbackStore
from switchboard_persistence.files import FileStore
from switchboard_persistence.repository import Repository
from switchboard_persistence.threads import ThreadStore

__all__ = ("Stores", "caller_dependency", "identifier")


@dataclass(frozen=True, slots=True)
class Stores:
    repository: Repository
    threads: ThreadStore
    feedback: FeedbackStore
    files: FileStore


def identifier(who: InternalCaller) -> str | None:
    """The end user the calling service vouches for; None for anonymous use."""
    return who.user.identifier if who.user is not None else None


def caller_dependency(app: FastAPI) -> tuple[Callable[..., InternalCaller], Callable[[], Stores]]:
    """The token check for this service's audience, and the stores built at start-up."""

    def stores() -> Stores:
        built: Stores = app.state.stores
        return built

    return service_caller(app, audience="persistence"), stores
