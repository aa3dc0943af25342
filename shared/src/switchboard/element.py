"""Chainlit's ``chainlit.element``."""

from switchboard.sdk.dicts import ElementDict
from switchboard.sdk.element import (
    Audio,
    CustomElement,
    Dataframe,
    Element,
    File,
    Image,
    Pdf,
    Plotly,
    Pyplot,
    Task,
    TaskList,
    TaskStatus,
    Text,
    Video,
)

__all__ = (
    "Audio",
    "CustomElement",
    "Dataframe",
    "Element",
    "ElementDict",
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
)
