"""Chainlit's history REST routes: threads, sharing, elements and feedback.

The gateway checks who is asking and speaks Chainlit's shapes; the persistence
service checks ownership again and holds the data. Anything a caller may not
see is a 404, whatever the reason.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Literal, NoReturn
from urllib.parse import quote

import httpx
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from switchboard.app_calls import AppCallTimeout, call_app
from switchboard.config import AppConfig
from switchboard.schema.app_calls import SharedThreadViewCall
from switchboard.schema.depth import JsonObject
from switchboard.schema.events import ElementEvent, RemoveElement
from switchboard.schema.history import (
    FeedbackIn,
    FeedbackSaved,
    SharedThread,
    ThreadListRequest,
)
from switchboard.schema.ids import AppId, OptionalAppId, OptionalUuidId, UuidId, internal_path
from switchboard.schema.jobs import FeedbackInput, FeedbackPayload
from switchboard.schema.manifest import AppManifest
from switchboard.schema.persist import ElementDelete, ElementDeletePayload, ElementUpsert
from switchboard.schema.session import UserRef
from switchboard.schema.steps import ElementDict
from switchboard.streams import Streams
from switchboard_gateway.errors import (
    AppUnavailable,
    BadRequest,
    GatewayError,
    NotFound,
    Refused,
    Unauthorized,
)
from switchboard_gateway.identity import GatewayIdentity
from switchboard_gateway.session_access import owned_session
from switchboard_gateway.uploads import relay_file
from switchboard_gateway.upstream import Upstreams

__all__ = ("build_history_router",)

logger = logging.getLogger(__name__)


class ThreadRef(BaseModel):
    threadId: UuidId


class RenameRequest(ThreadRef):
    name: str = Field(min_length=1, max_length=255)


class ShareRequest(ThreadRef):
    isShared: bool


class FeedbackRequest(BaseModel):
    feedback: FeedbackIn
    sessionId: OptionalUuidId = None


class FeedbackDeleteRequest(BaseModel):
    feedbackId: UuidId


class ClientElement(BaseModel):
    """The element dict Chainlit's UI sends back; only these keys are read."""

    model_config = ConfigDict(extra="ignore")

    id: AppId
    type: str | None = Field(default=None, max_length=64)
    name: str | None = Field(default=None, max_length=255)
    props: JsonObject | None = None
    display: Literal["inline", "side", "page"] | None = None
    forId: OptionalAppId = None


class ElementRequest(BaseModel):
    element: ClientElement
    sessionId: UuidId


def _relay(upstream: httpx.Response) -> Response:
    return Response(
        content=upstream.content,
        status_code=upstream.status_code,
        media_type=upstream.headers.get("content-type", "application/json"),
    )


def build_history_router(
    *,
    config: AppConfig,
    upstreams: Upstreams,
    identity: GatewayIdentity,
    streams: Streams,
    manifest: Callable[[], Awaitable[AppManifest | None]],
    app_call_timeout: float,
) -> APIRouter:
    router = APIRouter()
    persistence = upstreams.persistence

    def as_user(user: UserRef | None) -> dict[str, str]:
        return upstreams.token_headers("persistence", user)

    async def signed_in(request: Request) -> UserRef:
        user = await identity.require(request)
        if user is None:
            raise Unauthorized()
        return user

    @router.post("/project/threads")
    async def list_threads(body: ThreadListRequest, request: Request) -> Response:
        user = await signed_in(request)
        body.filter.userId = None
        return _relay(
            await persistence.post(
                "/threads/search", content=body.model_dump_json(), headers=_json(as_user(user))
            )
        )

    @router.put("/project/thread")
    async def rename_thread(body: RenameRequest, request: Request) -> Response:
        user = await identity.require(request)
        return _relay(
            await persistence.patch(
                internal_path("threads", body.threadId),
                json={"name": body.name},
                headers=as_user(user),
            )
        )

    @router.delete("/project/thread")
    async def delete_thread(body: ThreadRef, request: Request) -> Response:
        user = await identity.require(request)
        return _relay(
            await persistence.delete(internal_path("threads", body.threadId), headers=as_user(user))
        )

    @router.put("/project/thread/share")
    async def share_thread(body: ShareRequest, request: Request) -> Response:
        user = await identity.require(request)
        if not config.features.allow_thread_sharing:
            raise BadRequest("Thread sharing is not enabled")
        return _relay(
            await persistence.put(
                internal_path("threads", body.threadId, "share"),
                json={"isShared": body.isShared},
                headers=as_user(user),
            )
        )

    async def viewable(thread_id: str, viewer: UserRef | None) -> dict[str, Any]:
        """The thread as a viewer of its share link sees it; a 404 if they may not."""
        upstream = await persistence.get(
            internal_path("shared", thread_id), headers=as_user(viewer)
        )
        if upstream.status_code == 404:
            raise NotFound("Thread not found")
        upstream.raise_for_status()
        shared = SharedThread.model_validate_json(upstream.content)
        thread = shared.thread.model_dump(mode="json")
        if not shared.isShared:
            app = await manifest() or AppManifest()
            if not app.has("on_shared_thread_view"):
                raise NotFound("Thread not found")
            try:
                reply = await call_app(
                    streams,
                    SharedThreadViewCall(thread=thread, viewer=viewer),
                    timeout=app_call_timeout,
                )
            except AppCallTimeout as exc:
                raise AppUnavailable() from exc
            if reply.value is not True:
                raise NotFound("Thread not found")
        return thread

    @router.get("/project/share/{thread_id}")
    async def shared_thread(thread_id: UuidId, request: Request) -> dict[str, Any]:
        thread = await viewable(thread_id, await identity.require(request))
        # Stored files are served to their owner only; a viewer reads them through
        # the share, which checks the thread again and that it shows the file.
        for element in thread.get("elements") or []:
            if element.get("chainlitKey"):
                element["url"] = (
                    f"/project/share/{quote(thread_id, safe='')}"
                    f"/file/{quote(element['chainlitKey'], safe='')}"
                )
        return thread

    @router.get("/project/share/{thread_id}/file/{file_id}")
    async def shared_file(thread_id: UuidId, file_id: UuidId, request: Request) -> Response:
        viewer = await identity.require(request)
        await viewable(thread_id, viewer)
        path = internal_path("shared", thread_id, "files", file_id)
        return await relay_file(upstreams, path, viewer)

    @router.get("/project/thread/{thread_id}/element/{element_id}")
    async def get_element(thread_id: UuidId, element_id: AppId, request: Request) -> Response:
        user = await identity.require(request)
        path = internal_path("threads", thread_id, "elements", element_id)
        return _relay(await persistence.get(path, headers=as_user(user)))

    @router.put("/project/element")
    async def update_element(body: ElementRequest, request: Request) -> dict[str, Any]:
        """Custom elements change in place from the browser; only their props are taken."""
        user = await identity.require(request)
        session = await owned_session(streams, body.sessionId, user)
        sent = body.element
        if sent.type != "custom":
            return {"success": False}
        element = ElementDict(
            id=sent.id,
            type="custom",
            name=sent.name or "custom",
            props=sent.props or {},
            display=sent.display or "inline",
            forId=sent.forId,
            threadId=session.thread_id,
            mime="application/json",
        )
        ids = {"session_id": session.id, "thread_id": session.thread_id}
        await streams.emit(ElementEvent(payload=element, **ids))
        await streams.persist(ElementUpsert(payload=element, **ids))
        return {"success": True}

    @router.delete("/project/element")
    async def delete_element(body: ElementRequest, request: Request) -> dict[str, Any]:
        user = await identity.require(request)
        session = await owned_session(streams, body.sessionId, user)
        element_id = body.element.id
        ids = {"session_id": session.id, "thread_id": session.thread_id}
        await streams.emit(RemoveElement(payload={"id": element_id}, **ids))
        await streams.persist(ElementDelete(payload=ElementDeletePayload(id=element_id), **ids))
        return {"success": True}

    @router.put("/feedback")
    async def upsert_feedback(body: FeedbackRequest, request: Request) -> dict[str, Any]:
        user = await identity.require(request)
        upstream = await persistence.put(
            "/feedback", content=body.feedback.model_dump_json(), headers=_json(as_user(user))
        )
        if upstream.status_code != 200:
            _raise(upstream)
        saved = FeedbackSaved.model_validate_json(upstream.content)
        app = await manifest() or AppManifest()
        if body.sessionId and app.has("on_feedback"):
            try:
                session = await owned_session(streams, body.sessionId, user)
            except GatewayError:  # the session ended or is not theirs
                logger.info(
                    "on_feedback skipped: session gone", extra={"session_id": body.sessionId}
                )
            else:
                await streams.enqueue(
                    FeedbackInput(
                        session_id=session.id,
                        thread_id=session.thread_id,
                        payload=FeedbackPayload(
                            forId=saved.forId,
                            id=saved.feedbackId,
                            value=body.feedback.value,
                            threadId=saved.threadId,
                            comment=body.feedback.comment,
                        ),
                    )
                )
        return {"success": True, "feedbackId": saved.feedbackId}

    @router.delete("/feedback")
    async def delete_feedback(body: FeedbackDeleteRequest, request: Request) -> Response:
        user = await identity.require(request)
        return _relay(
            await persistence.delete(
                internal_path("feedback", body.feedbackId), headers=as_user(user)
            )
        )

    return router


def _json(headers: dict[str, str]) -> dict[str, str]:
    return {**headers, "content-type": "application/json"}


def _raise(upstream: httpx.Response) -> NoReturn:
    try:
        detail = upstream.json().get("detail", upstream.text)
    except ValueError:
        detail = upstream.text
    raise Refused(upstream.status_code, detail)
