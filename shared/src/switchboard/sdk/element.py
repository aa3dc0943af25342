"""Elements (images, files, text, plots, task lists...) with Chainlit's fields and events.

Content given as bytes, a string or a path on the app's own disk is uploaded
to object storage through the persistence service before the ``element``
event goes out, so any gateway can serve it and only its owner can read it.
As in Chainlit, such an element goes out with ``chainlitKey`` set and ``url``
null: the browser fetches ``/project/file/{chainlitKey}?session_id=…``, which
the gateway serves only to the session's owner. An element given a ``url`` is
shown from that URL and never fetched by the server.
"""

from __future__ import annotations

import enum
import io
import json
import mimetypes
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from switchboard.schema.events import ElementEvent, RemoveElement, SetSidebarElements
from switchboard.schema.events import SetSidebarTitle as SetSidebarTitleEvent
from switchboard.schema.persist import ElementDelete, ElementDeletePayload, ElementUpsert
from switchboard.schema.steps import ElementDict
from switchboard.sdk.context import get_context

__all__ = (
    "Audio",
    "CustomElement",
    "Dataframe",
    "Element",
    "ElementSidebar",
    "File",
    "Image",
    "Pdf",
    "Plotly",
    "Pyplot",
    "Task",
    "TaskList",
    "TaskStatus",
    "Text",
    "Video",
    "attachment",
    "file_url",
)

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
        if self.type in _FIXED_MIMES:
            return _FIXED_MIMES[self.type]
        if self.path or isinstance(self.content, bytes | bytearray):
            sniffed = _sniff(self.path, self.content)
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
        await ctx.emitter.emit(
            ElementEvent(session_id=ctx.session_id, thread_id=ctx.thread_id, payload=payload)
        )
        if persist:
            await self._persist(payload)
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


# Types whose mime Chainlit fixes whatever the content.
_FIXED_MIMES = {
    "text": "text/plain",
    "tasklist": "application/json",
    "plotly": "application/json",
}


def _sniff(path: str | None, content: bytes | str | None) -> str | None:
    """The mime of a few common formats by their magic numbers (the names Chainlit gives)."""
    if isinstance(content, bytes | bytearray):
        head = bytes(content[:32])
    elif path is not None:
        try:
            with open(path, "rb") as source:
                head = source.read(32)
        except OSError:
            return None
    else:
        return None
    return _looks_like(head)


def _looks_like(data: bytes) -> str | None:
    """Enough magic numbers to label common uploads when nothing else tells."""
    signatures = (
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"\xff\xd8\xff", "image/jpeg"),
        (b"GIF8", "image/gif"),
        (b"%PDF", "application/pdf"),
        (b"ID3", "audio/mpeg"),
        (b"OggS", "audio/ogg"),
        (b"fLaC", "audio/x-flac"),
        (b"PK\x03\x04", "application/zip"),
    )
    for magic, mime in signatures:
        if data.startswith(magic):
            return mime
    if data.startswith(b"RIFF") and len(data) > 11:
        riff = {b"WAVE": "audio/x-wav", b"WEBP": "image/webp", b"AVI ": "video/x-msvideo"}
        return riff.get(data[8:12])
    if data[4:8] == b"ftyp":
        return "video/mp4"
    return None


@dataclass(kw_only=True)
class Image(Element):
    type: ClassVar[str] = "image"
    size: str | None = "medium"


@dataclass(kw_only=True)
class Text(Element):
    type: ClassVar[str] = "text"


@dataclass(kw_only=True)
class Pdf(Element):
    type: ClassVar[str] = "pdf"
    mime: str | None = "application/pdf"
    page: int | None = None

    def _extra(self) -> dict[str, Any]:
        return {"page": self.page}


@dataclass(kw_only=True)
class Audio(Element):
    type: ClassVar[str] = "audio"
    auto_play: bool = False

    def _extra(self) -> dict[str, Any]:
        return {"autoPlay": self.auto_play}


@dataclass(kw_only=True)
class Video(Element):
    type: ClassVar[str] = "video"
    size: str | None = "medium"
    player_config: dict[str, Any] | None = None

    def _extra(self) -> dict[str, Any]:
        return {"playerConfig": self.player_config}


@dataclass(kw_only=True)
class File(Element):
    type: ClassVar[str] = "file"


@dataclass(kw_only=True)
class Plotly(Element):
    """A Plotly figure (anything with ``to_json()``), stored as its JSON."""

    type: ClassVar[str] = "plotly"
    figure: Any = None
    size: str | None = "medium"

    def _prepare(self) -> None:
        if self.figure is not None and self.content is None:
            self.content = self.figure.to_json()
        self.mime = "application/json"


@dataclass(kw_only=True)
class Pyplot(Element):
    """A Matplotlib figure, stored as PNG and shown as an image."""

    type: ClassVar[str] = "image"
    figure: Any = None
    size: str | None = "medium"

    def _prepare(self) -> None:
        if self.figure is not None and self.content is None:
            buffer = io.BytesIO()
            self.figure.savefig(buffer, format="png")
            self.content = buffer.getvalue()
        self.mime = "image/png"


@dataclass(kw_only=True)
class Dataframe(Element):
    """A pandas (or polars) data frame, stored as ``orient="split"`` JSON."""

    type: ClassVar[str] = "dataframe"
    data: Any = None
    size: str | None = "large"

    def _prepare(self) -> None:
        if self.data is not None and self.content is None:
            if hasattr(self.data, "to_pandas") and not hasattr(self.data, "to_json"):
                self.data = self.data.to_pandas()
            self.content = self.data.to_json(orient="split", date_format="iso")


@dataclass(kw_only=True)
class CustomElement(Element):
    """A JSX component from ``public/elements/<name>.jsx`` fed with ``props``."""

    type: ClassVar[str] = "custom"
    props: dict[str, Any] = field(default_factory=dict)

    def _prepare(self) -> None:
        self.content = json.dumps(self.props)
        self.chainlit_key = None
        self.mime = "application/json"

    def _extra(self) -> dict[str, Any]:
        return {"props": self.props}


class TaskStatus(enum.StrEnum):
    READY = "ready"
    RUNNING = "running"
    FAILED = "failed"
    DONE = "done"


@dataclass(kw_only=True)
class Task:
    title: str
    status: TaskStatus = TaskStatus.READY
    forId: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "status": str(self.status), "forId": self.forId}


@dataclass(kw_only=True)
class TaskList(Element):
    type: ClassVar[str] = "tasklist"
    name: str = "tasklist"
    tasks: list[Task] = field(default_factory=list)
    status: str = "Ready"

    async def add_task(self, task: Task) -> None:
        self.tasks.append(task)

    def _prepare(self) -> None:
        self.content = json.dumps(
            {"status": self.status, "tasks": [task.to_dict() for task in self.tasks]},
            indent=4,
            ensure_ascii=False,
        )
        # Every send shows the current list, so the stored copy is always fresh.
        self.chainlit_key = None
        self.url = None
        self.mime = "application/json"

    async def send(self, for_id: str | None = None, persist: bool = True) -> TaskList:
        await super().send(for_id="" if for_id is None else for_id, persist=persist)
        return self


def attachment(upload: File) -> Element:
    """What Chainlit makes of a file attached to a user message: typed by its mime."""
    mime = upload.mime or ""
    kind: type[Element] = File
    if "image" in mime:
        kind = Image
    elif mime == "application/pdf":
        kind = Pdf
    elif "audio" in mime:
        kind = Audio
    elif "video" in mime:
        kind = Video
    return kind(
        id=upload.id,
        name=upload.name,
        path=upload.path,
        mime=upload.mime,
        for_id=upload.for_id,
        chainlit_key=upload.chainlit_key,
        display="inline",
    )


class ElementSidebar:
    """The side panel: a title and a set of elements, keyed so the UI can tell sets apart."""

    @staticmethod
    async def set_title(title: str) -> None:
        ctx = get_context()
        await ctx.emitter.emit(
            SetSidebarTitleEvent(session_id=ctx.session_id, thread_id=ctx.thread_id, payload=title)
        )

    @staticmethod
    async def set_elements(
        elements: list[Element], key: str | None = None, persist: bool = False
    ) -> None:
        """Show ``elements`` in the side panel (an empty list closes it).

        As Chainlit: each element is sent first (``forId`` "" unless it has one, not
        stored with the thread unless ``persist``), then the panel gets them all.
        """
        ctx = get_context()
        for element in elements:
            await element.send(for_id=element.for_id or "", persist=persist)
        await ctx.emitter.emit(
            SetSidebarElements(
                session_id=ctx.session_id,
                thread_id=ctx.thread_id,
                payload={"elements": [element.to_dict() for element in elements], "key": key},
            )
        )
