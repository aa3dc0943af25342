"""REST calls that act on a live session must come from the session's owner."""

from __future__ import annotations

from switchboard.schema.session import SessionRecord, UserRef
from switchboard.session_state import SessionState
from switchboard.streams import Streams
from switchboard_gateway.errors import NotFound, Unauthorized

__all__ = ("owned_session",)


async def owned_session(streams: Streams, session_id: str, user: UserRef | None) -> SessionRecord:
    session = await SessionState(streams.redis, streams.names).record(session_id)
    if session is None:
        raise NotFound("Session not found")
    if session.owner != (user.identifier if user else None):
        raise Unauthorized()
    return session
