"""File routes: upload (streamed, size-capped), download (streamed), delete."""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from switchboard.schema.history import StoredFile
from switchboard.schema.ids import UUID_PATTERN
from switchboard_persistence.errors import FileNotFound, ThreadNotFound
from switchboard_persistence.files import FileRecord, FileStore, NewFile
from switchboard_persistence.routes.deps import CallerDep, StoresDep, identifier, known_id
from switchboard_persistence.storage.base import ID_PATTERN
from switchboard_persistence.uploads import mime_of, receive

__all__ = ("content_disposition", "router")

Id = Annotated[str, Query(pattern=ID_PATTERN)]
# Files and threads are uuids; empty counts as absent (clients send ``thread_id=``).
OptionalUuid = Annotated[str | None, Query(pattern=f"^$|{UUID_PATTERN}")]
_SESSION_ID = re.compile(ID_PATTERN)
# A file name is shown and sent in headers: no control characters.
_PRINTABLE = r"^[^\x00-\x1f\x7f]+$"


def _owner_session(session_id: str | None) -> str | None:
    """An anonymous owner's session id; a malformed one owns nothing."""
    if session_id is not None and not _SESSION_ID.fullmatch(session_id):
        raise FileNotFound()
    return session_id


def content_disposition(name: str) -> str:
    """``attachment`` with an ASCII fallback name and the exact UTF-8 one (RFC 6266)."""
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in name) or "file"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


async def _download(files: FileStore, record: FileRecord | None) -> StreamingResponse:
    chunks = await files.read(record) if record is not None else None
    if record is None or chunks is None:
        raise FileNotFound()
    return StreamingResponse(
        chunks,
        media_type=record.mime,
        headers={
            "Content-Disposition": content_disposition(record.name),
            "Content-Length": str(record.size),
            "X-Content-Type-Options": "nosniff",
        },
    )


def router(max_file_bytes: int) -> APIRouter:
    routes = APIRouter()

    @routes.post("/files")
    async def upload_file(
        request: Request,
        name: Annotated[str, Query(min_length=1, max_length=255, pattern=_PRINTABLE)],
        session_id: Id,
        who: CallerDep,
        s: StoresDep,
        thread_id: OptionalUuid = None,
        file_id: OptionalUuid = None,
    ) -> StoredFile:
        user = identifier(who)
        thread_id, file_id = thread_id or None, file_id or None
        if thread_id is not None and not await s.files.thread_usable(thread_id, user):
            raise ThreadNotFound()
        new = NewFile(
            name=name,
            mime=mime_of(request.headers.get("content-type")),
            session_id=session_id,
            thread_id=thread_id,
            file_id=file_id,
        )
        upload = await receive(request, max_file_bytes)
        try:
            stored = await s.files.save(user, new, upload)
        finally:
            upload.close()
        if stored is None:
            raise FileNotFound()
        return stored

    @routes.get("/files/{file_id}")
    async def download_file(
        file_id: str,
        who: CallerDep,
        s: StoresDep,
        session_id: str | None = None,
    ) -> StreamingResponse:
        file_id = known_id(file_id, FileNotFound)
        record = await s.files.get(file_id, identifier(who), _owner_session(session_id))
        return await _download(s.files, record)

    @routes.get("/shared/{thread_id}/files/{file_id}")
    async def download_shown_file(
        thread_id: str,
        file_id: str,
        _who: CallerDep,
        s: StoresDep,
    ) -> StreamingResponse:
        """Any caller: the gateway decides whether the thread may be shown to its viewer."""
        file_id, thread_id = known_id(file_id, FileNotFound), known_id(thread_id, FileNotFound)
        return await _download(s.files, await s.files.get_shown(file_id, thread_id))

    @routes.delete("/files/{file_id}")
    async def delete_file(
        file_id: str,
        who: CallerDep,
        s: StoresDep,
        session_id: str | None = None,
    ) -> dict[str, bool]:
        file_id = known_id(file_id, FileNotFound)
        if not await s.files.delete(file_id, identifier(who), _owner_session(session_id)):
            raise FileNotFound()
        return {"success": True}

    return routes
