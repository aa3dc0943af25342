"""What every route needs: the caller's identity and the stores, from the app's state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from switchboard.internal_auth import InternalCaller
from switchboard.schema.ids import is_app_id, is_uuid_id
from switchboard.service import service_caller
from switchboard_persistence.errors import NotFound
from switchboard_persistence.files import FileStore
from switchboard_persistence.stores.base import ConversationStore

__all__ = ("CallerDep", "Stores", "StoresDep", "identifier", "known_id")


@dataclass(frozen=True, slots=True)
class Stores:
    # Threads, steps, elements and feedback, in whichever storage mode is configured.
    conversations: ConversationStore
    files: FileStore


def identifier(who: InternalCaller) -> str | None:
    """The end user the calling service vouches for; None for anonymous use."""
    return who.user.identifier if who.user is not None else None


def known_id(value: str, missing: type[NotFound], *, app_chosen: bool = False) -> str:
    """The id itself when it has its type's shape; a malformed id names nothing, so 404.

    Threads, files and feedback are uuids minted by Switchboard; steps and elements
    may carry an app's own ids. Checked before any query or storage call.
    """
    if not (is_app_id(value) if app_chosen else is_uuid_id(value)):
        raise missing()
    return value


def _stores(request: Request) -> Stores:
    built: Stores = request.app.state.stores
    return built


# Every route takes these two: the service that calls (and the user it vouches for),
# and the stores built at start-up.
CallerDep = Annotated[InternalCaller, Depends(service_caller("persistence"))]
StoresDep = Annotated[Stores, Depends(_stores)]
