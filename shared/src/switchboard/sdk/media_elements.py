"""Media elements: content shown as it is (image, text, PDF, audio, video, file).

Also :func:`attachment`, which types a file attached to a user message as one of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from switchboard.sdk.element_base import Element

__all__ = ("Audio", "File", "Image", "Pdf", "Text", "Video", "attachment")


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
