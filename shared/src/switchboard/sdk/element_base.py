"""The element base: Chainlit's fields and wire dict, storing content, sending and removing.

Content given as bytes, a string or a path on the app's own disk is uploaded
to object storage through the persistence service before the ``element``
event goes out, so any gateway can serve it and only its owner can read it.
As in Chainlit, such an element goes out with ``chainlitKey`` set and ``url``
null: the browser fetches ``/project/file/{chainlitKey}?session_id=…``, which
the gateway serves only to the session's owner. An element given a ``url`` is
shown from that URL and never fetched by the server.
"""

from __future__ import annotations

import mimetypes
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from switchboard.schema.events import ElementEvent, RemoveElement
from switchboard.schema.persist import ElementDelete, ElementDeletePayload, ElementUpsert
from switchboard.schema.steps import ElementDict
from switchboard.sdk.context import get_context
from switchboard.sdk.element_mime import FIXED_MIMES, sniff

__all__ = ("Display", "Element", "file_url")

Display = Literal["inline", "side", "page"]


def file_url(file_id: str, session_id: str) -> str:
    """The gateway route that serves a stored file to its owner."""
    return f"/project/file/{file_id}?session_id={session_id}"


@dataclass(kw_only=True)
class Element:
    type: ClassVar[str] = "file"

    name: str = ""
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    url: str | None = None
    path: str | None = None
    content: bytes | str | None = None
    display: Display = "inline"
    size: str | None = None
    for_id: str | None = None
    language: str | None = None
    mime: str | None = None
    thread_id: str | None = None
    chainlit_key: str | None = None
    object_key: str | None = None

    def __post_init__(self) -> None:
        if self.display not in ("inline", "side", "page"):
            raise ValueError(f"display must be inline, side or page, not {self.display!r}")

    def _prepare(self) -> None:
        """Subclasses turn their rich inputs (figures, tables) into ``content`` here."""

    def _guess_mime(self) -> str | None:
        """The mime Chainlit puts on the wire: given, fixed by type, sniffed, or by name."""
        if self.mime:
            return self.mime
        if self.type in FIXED_MIMES:
            return FIXED_MIMES[self.type]
        if self.path or isinstance(self.content, bytes | bytearray):
            sniffed = sniff(self.path, self.content)
            if sniffed:
                return sniffed
            return mimetypes.guess_type(self.path or self.name)[0]
        if self.url:
            return mimetypes.guess_type(self.url)[0]
        return None

    def _storage_mime(self) -> str:
        """The type the stored copy is served with (never missing, unlike the wire's)."""
        if self.mime:
            return self.mime
        guessed, _ = mimetypes.guess_type(self.path or self.name)
        if guessed:
            return guessed
        if self.type == "dataframe":
            return "application/json"
        return "text/plain" if isinstance(self.content, str) else "application/octet-stream"

    def _extra(self) -> dict[str, Any]:
        return {}

    def to_dict(self) -> dict[str, Any]:
        """Chainlit's element dict: every key, whatever the type (``None`` where unused)."""
        data: dict[str, Any] = {
            "id": self.id,
            "threadId": self.thread_id,
            "type": self.type,
            "url": self.url,
            "chainlitKey": self.chainlit_key,
            "name": self.name,
            "display": self.display,
            "objectKey": self.object_key,
            "size": self.size,
            "props": None,
            "page": None,
            "autoPlay": None,
            "playerConfig": None,
            "language": self.language,
            "forId": self.for_id,
            "mime": self.mime,
        }
        data.update(self._extra())
        return data

    async def _store(self) -> None:
        """Upload the content; the element then names it by ``chainlitKey``."""
        ctx = get_context()
        data: bytes | None
        source: Path | None = None
        if self.content is not None:
            data = self.content.encode() if isinstance(self.content, str) else bytes(self.content)
        elif self.path is not None:
            source = Path(self.path)
            if not source.is_file():
                raise FileNotFoundError(f"element {self.name!r}: no file at {self.path}")
            data = None
        else:
            raise ValueError(f"element {self.name!r} needs content, path or url")
        stored = await ctx.emitter.store_file(
            session_id=ctx.session_id,
            name=self.name or self.id,
            mime=self._storage_mime(),
            data=data,
            path=source,
        )
        self.chainlit_key = stored.id

    async def _create(self, for_id: str | None) -> ElementDict:
        """Fill in what ``send`` needs (mime, thread, stored content); the wire dict."""
        ctx = get_context()
        self._prepare()
        if for_id is not None:
            self.for_id = for_id
        self.mime = self._guess_mime()
        self.thread_id = ctx.thread_id
        if self.url:
            # As Chainlit: an element with a url is shown from it, never stored.
            if not self.url.startswith(("http://", "https://", "/")):
                raise ValueError(f"element url must be http(s) or a path on this site: {self.url}")
        elif self.chainlit_key is None:
            await self._store()
        return ElementDict.model_validate(self.to_dict())

    async def _persist(self, payload: ElementDict) -> None:
        ctx = get_context()
        await ctx.emitter.persist(
            ElementUpsert(session_id=ctx.session_id, thread_id=ctx.thread_id, payload=payload)
        )

    async def persist_only(self, for_id: str | None = None) -> Element:
        """Store the element with its thread without showing it (an ``AskFileMessage`` upload)."""
        await self._persist(await self._create(for_id))
        return self

    async def send(self, for_id: str | None = None, persist: bool = True) -> Element:
        ctx = get_context()
        payload = await self._create(for_id)
        if persist:  # stored before shown, as steps are (see ``emit_step``)
            await self._persist(payload)
        await ctx.emitter.emit(
            ElementEvent(session_id=ctx.session_id, thread_id=ctx.thread_id, payload=payload)
        )
        return self

    async def update(self) -> Element:
        """Re-send with new content (custom elements and task lists change in place)."""
        if self.content is not None or self.path is not None:
            self.chainlit_key = None
        return await self.send(self.for_id)

    async def remove(self) -> bool:
        ctx = get_context()
        await ctx.emitter.emit(
            RemoveElement(
                session_id=ctx.session_id, thread_id=ctx.thread_id, payload={"id": self.id}
            )
        )
        await ctx.emitter.persist(
            ElementDelete(
                session_id=ctx.session_id,
                thread_id=ctx.thread_id,
                payload=ElementDeletePayload(id=self.id),
            )
        )
        return True
