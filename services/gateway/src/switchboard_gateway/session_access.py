"""REST calls that act on a live session must come from the session's owner."""

from __future__ import annotations

from fastapi import HTTPException

from switchboard.aio import resolved
from switchboard.schema.session import SessionRecord, UserRef
from switchboard.streams import Streams

__all__ = ("owned_session",)


async def owned_session(streams: Streams, session_id: str, user: UserRef | None) -> SessionRecord:
    raw = await resolved(streams.redis.hget(streams.names.session(session_id), "record"))
    if raw is None:
        raise HTTPException(status_code=404, detail="Session not found")
    session = SessionRecord.model_validate_json(raw)
    if session.owner != (user.identifier if user else None):
        raise HTTPException(status_code=401, detail="Unauthorized")
    return session
