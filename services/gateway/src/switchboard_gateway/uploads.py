"""``POST /project/file`` and ``GET /project/file/{id}``: uploads checked here, stored by persistence.

An upload is judged against the pending file ask it answers, or against
``[features.spontaneous_file_upload]``: MIME globs, MIME-to-extension maps,
size and count. The body is read as a stream, spooled to disk past 1 MiB and
cut off as soon as it passes the limit, so no file is ever held whole in
memory. Any gateway can take any session's upload: the pending asks and the
counters live in Redis.
"""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from pathlib import PurePosixPath
from typing import Any

import orjson
from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from switchboard.aio import resolved
from switchboard.config import AppConfig
from switchboard.schema.history import StoredFile
from switchboard.schema.ids import AppId, UuidId, internal_path
from switchboard.schema.session import UserRef
from switchboard.schema.steps import AskSpec
from switchboard.streams import Streams
from switchboard_gateway.errors import (
    BadRequest,
    NotFound,
    Refused,
    Unauthorized,
    Unprocessable,
    UploadRefused,
)
from switchboard_gateway.identity import GatewayIdentity
from switchboard_gateway.session_access import owned_session
from switchboard_gateway.upstream import Upstreams

__all__ = ("build_upload_router", "check_type", "relay_file", "upload_counter")

logger = logging.getLogger(__name__)

MIB = 1024 * 1024
# Room for the multipart boundaries and part headers around the file itself.
_ENVELOPE_BYTES = 64 * 1024
_CHUNK = 64 * 1024
_COUNTER_TTL_S = 24 * 3600
# The body is parsed as a stream below, so FastAPI cannot describe it by itself.
_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            }
        },
    }
}


def upload_counter(streams: Streams, session_id: str, scope: str) -> str:
    """Files uploaded so far for one ask (its id) or for the next message ("spontaneous")."""
    return streams.names.uploads(session_id, scope)


def check_type(accept: list[str] | dict[str, list[str]] | None, mime: str, filename: str) -> None:
    """Chainlit's rules: a list of MIME globs, or ``{glob: [".ext", ...]}`` (empty = any)."""
    if accept is None:
        return
    mime = mime.lower()
    if isinstance(accept, list):
        if any(fnmatch.fnmatch(mime, pattern.lower()) for pattern in accept):
            return
        raise UploadRefused(400, "File type not allowed")
    suffix = PurePosixPath(filename).suffix.lower()
    for pattern, extensions in accept.items():
        if not fnmatch.fnmatch(mime, pattern.lower()):
            continue
        if not extensions or suffix in {e.lower() for e in extensions}:
            return
        raise UploadRefused(400, "File extension not allowed")
    raise UploadRefused(400, "File type not allowed")


async def _limited(request: Request, limit: int) -> AsyncGenerator[bytes, None]:
    seen = 0
    async for chunk in request.stream():
        seen += len(chunk)
        if seen > limit:
            raise UploadRefused(413, "File size too large")
        yield chunk


def _printable(name: str) -> str:
    """A file name without control characters: they end up in headers and the database."""
    return "".join(c for c in name if c.isprintable())


async def _chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    await upload.seek(0)
    while chunk := await upload.read(_CHUNK):
        yield chunk


def build_upload_router(
    *,
    config: AppConfig,
    upstreams: Upstreams,
    identity: GatewayIdentity,
    streams: Streams,
    max_upload_bytes: int,
) -> APIRouter:
    router = APIRouter()

    async def pending_file_asks(session_id: str) -> list[tuple[AskSpec, str | None]]:
        raw = await resolved(streams.redis.hvals(streams.names.asks(session_id)))
        found: list[tuple[AskSpec, str | None]] = []
        for item in raw:
            event = orjson.loads(item)
            payload = event.get("payload") or {}
            spec = AskSpec.model_validate(payload.get("spec") or {})
            if spec.type == "file":
                found.append((spec, (payload.get("msg") or {}).get("parentId")))
        return found

    async def rules_for(
        session_id: str, ask_parent_id: str | None
    ) -> tuple[str, list[str] | dict[str, list[str]] | None, int, int]:
        """(counter scope, accept, max files, max bytes) for this upload."""
        asks = await pending_file_asks(session_id)
        chosen: AskSpec | None = None
        if ask_parent_id is not None:
            chosen = next((s for s, parent in asks if ask_parent_id in (parent, s.step_id)), None)
            if chosen is None:
                raise NotFound("Parent message not found")
        elif asks:
            chosen = asks[-1][0]
        if chosen is not None:
            size = (chosen.max_size_mb or 2) * MIB
            return chosen.step_id, chosen.accept, chosen.max_files or 1, size
        spontaneous = config.features.spontaneous_file_upload
        if spontaneous is None or not spontaneous.enabled:
            raise BadRequest("File upload is not enabled")
        return (
            "spontaneous",
            spontaneous.accept,
            spontaneous.max_files,
            spontaneous.max_size_mb * MIB,
        )

    @router.post("/project/file", openapi_extra=_UPLOAD_BODY)
    async def upload_file(
        request: Request,
        session_id: UuidId,
        ask_parent_id: AppId | None = None,
    ) -> dict[str, str]:
        user = await identity.require(request)
        session = await owned_session(streams, session_id, user)
        scope, accept, max_files, max_bytes = await rules_for(session.id, ask_parent_id)
        max_bytes = min(max_bytes, max_upload_bytes)
        declared = request.headers.get("content-length")
        if (
            declared is not None
            and declared.isdigit()
            and int(declared) > max_bytes + _ENVELOPE_BYTES
        ):
            raise UploadRefused(413, "File size too large")
        counter = upload_counter(streams, session.id, scope)
        try:
            parser = MultiPartParser(
                request.headers,
                _limited(request, max_bytes + _ENVELOPE_BYTES),
                max_files=1,
                max_fields=10,
            )
            form = await parser.parse()
        except MultiPartException as exc:
            raise BadRequest(f"Malformed upload: {exc.message}") from exc
        try:
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise Unprocessable("multipart field 'file' is required")
            size = upload.size or 0
            if size > max_bytes:
                raise UploadRefused(413, "File size too large")
            name = _printable(PurePosixPath(upload.filename or "upload").name)[:255] or "upload"
            mime = (upload.content_type or "application/octet-stream").split(";")[0].strip()
            check_type(accept, mime, name)
            count = await resolved(streams.redis.incr(counter))
            await streams.redis.expire(counter, _COUNTER_TTL_S)
            if count > max_files:
                await streams.redis.decr(counter)
                raise UploadRefused(400, "Too many files")
            params = {"name": name, "session_id": session.id, "thread_id": session.thread_id}
            headers = {
                **upstreams.token_headers("persistence", user),
                "content-type": mime,
                "content-length": str(size),
            }
            stored = await upstreams.persistence.post(
                "/files", params=params, content=_chunks(upload), headers=headers
            )
            if stored.status_code != 200:
                await streams.redis.decr(counter)
                logger.warning(
                    "upload not stored",
                    extra={"session_id": session.id, "status": stored.status_code},
                )
                raise Refused(413 if stored.status_code == 413 else 502, "File could not be stored")
            record = StoredFile.model_validate_json(stored.content)
        finally:
            await form.close()
        logger.info(
            "file uploaded",
            extra={"session_id": session.id, "file_id": record.id, "size": record.size},
        )
        return {"id": record.id}

    @router.get("/project/file/{file_id}")
    async def download_file(
        file_id: UuidId,
        request: Request,
        session_id: UuidId | None = None,
    ) -> Response:
        user = await identity.require(request)
        if user is None and not session_id:
            raise Unauthorized()
        params: dict[str, Any] = {"session_id": session_id} if session_id else {}
        return await relay_file(upstreams, internal_path("files", file_id), user, params)

    return router


async def relay_file(
    upstreams: Upstreams, path: str, user: UserRef | None, params: dict[str, Any] | None = None
) -> StreamingResponse:
    """Stream a stored file from the persistence service; anything but 200 is a 404."""
    upstream_request = upstreams.persistence.build_request(
        "GET", path, params=params or {}, headers=upstreams.token_headers("persistence", user)
    )
    upstream = await upstreams.persistence.send(upstream_request, stream=True)
    if upstream.status_code != 200:
        await upstream.aclose()
        raise NotFound("File not found")
    passed = {
        name: upstream.headers[name]
        for name in ("content-type", "content-length", "content-disposition")
        if name in upstream.headers
    }
    passed["cache-control"] = "private, max-age=300"
    passed["x-content-type-options"] = "nosniff"
    # Stored files never run as pages of this origin, whatever their type.
    passed["content-security-policy"] = "sandbox"

    async def body() -> AsyncIterator[bytes]:
        try:
            async for chunk in upstream.aiter_raw(_CHUNK):
                yield chunk
        finally:
            await upstream.aclose()

    return StreamingResponse(body(), headers=passed)
