"""Elements (images, files, text, plots, task lists...) with Chainlit's fields and events.

Content given as bytes, a string or a path on the app's own disk is uploaded
to object storage through the persistence service before the ``element``
event goes out, so any gateway can serve it and only its owner can read it.
An element given only a ``url`` is shown from that URL and never fetched by
the server.
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

    def _guess_mime(self) -> str:
        if self.mime:
            return self.mime
        if self.type == "text":
            return "text/plain"
        if self.type in ("tasklist", "plotly", "custom"):
            return "application/json"
        if self.type == "dataframe":
            return "application/json"
        for candidate in (self.path, self.url, self.name):
            if candidate:
                guessed, _ = mimetypes.guess_type(candidate)
                if guessed:
                    return guessed
        sniffed = _looks_like(self.content) if isinstance(self.content, bytes) else None
        return sniffed or "application/octet-stream"

    def _extra(self) -> dict[str, Any]:
        return {}

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "threadId": self.thread_id,
            "type": self.type,
            "chainlitKey": self.chainlit_key,
            "url": self.url,
            "objectKey": self.object_key,
            "name": self.name,
            "display": self.display,
            "size": self.size,
            "language": self.language,
            "forId": self.for_id,
            "mime": self.mime,
        }
        data.update(self._extra())
        return data

    async def _store(self) -> None:
        ctx = get_context()
        if self.url is not None and self.content is None and self.path is None:
            if not self.url.startswith(("http://", "https://", "/")):
                raise ValueError(f"element url must be http(s) or a path on this site: {self.url}")
            return
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
            mime=self.mime or "application/octet-stream",
            data=data,
            path=source,
        )
        self.chainlit_key = stored.id
        self.object_key = stored.objectKey
        self.url = file_url(stored.id, ctx.session_id)

    async def send(self, for_id: str | None = None, persist: bool = True) -> Element:
        ctx = get_context()
        self._prepare()
        if for_id is not None:
            self.for_id = for_id
        self.mime = self._guess_mime()
        self.thread_id = ctx.thread_id
        if self.chainlit_key is None:
            await self._store()
        payload = ElementDict.model_validate(self.to_dict())
        await ctx.emitter.emit(
            ElementEvent(session_id=ctx.session_id, thread_id=ctx.thread_id, payload=payload)
        )
        if persist:
            await ctx.emitter.persist(
                ElementUpsert(session_id=ctx.session_id, thread_id=ctx.thread_id, payload=payload)
            )
        return self

    async def update(self) -> Element:
        """Re-send with new content (custom elements and task lists change in place)."""
        self.chainlit_key = None
        self.url = None if self.content is not None or self.path is not None else self.url
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


def _looks_like(data: bytes) -> str | None:
    """A few magic numbers, enough to label common uploads when nothing else tells."""
    signatures = (
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"\xff\xd8\xff", "image/jpeg"),
        (b"GIF8", "image/gif"),
        (b"%PDF-", "application/pdf"),
        (b"RIFF", "audio/wav"),
        (b"ID3", "audio/mpeg"),
    )
    for magic, mime in signatures:
        if data.startswith(magic):
            return mime
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
        self.mime = "application/json"


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
            {"status": self.status, "tasks": [task.to_dict() for task in self.tasks]}
        )
        # Every send shows the current list, so the stored copy is always fresh.
        self.chainlit_key = None
        self.url = None
        self.mime = "application/json"

    async def send(self, for_id: str | None = None, persist: bool = True) -> TaskList:
        await super().send(for_id="" if for_id is None else for_id, persist=persist)
        return self


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
        ctx = get_context()
        dicts: list[dict[str, Any]] = []
        for element in elements:
            element._prepare()
            element.mime = element._guess_mime()
            element.thread_id = ctx.thread_id
            if element.chainlit_key is None:
                await element._store()
            if persist:
                await ctx.emitter.persist(
                    ElementUpsert(
                        session_id=ctx.session_id,
                        thread_id=ctx.thread_id,
                        payload=ElementDict.model_validate(element.to_dict()),
                    )
                )
            dicts.append(element.to_dict())
        await ctx.emitter.emit(
            SetSidebarElements(
                session_id=ctx.session_id,
                thread_id=ctx.thread_id,
                payload={"elements": dicts, "key": key},
            )
        )
