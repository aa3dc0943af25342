"""Elements (images, files, text, plots, task lists...) with Chainlit's fields and events.

The base and its storing and sending are in :mod:`switchboard.sdk.element_base`
(mime guessing in :mod:`~switchboard.sdk.element_mime`); media elements in
:mod:`~switchboard.sdk.media_elements`; figures, data frames, custom elements
and task lists in :mod:`~switchboard.sdk.structured_elements`; the side panel
in :mod:`~switchboard.sdk.element_sidebar`. Every name is re-exported here.
"""

from __future__ import annotations

from switchboard.sdk.element_base import Element, file_url
from switchboard.sdk.element_sidebar import ElementSidebar
from switchboard.sdk.media_elements import Audio, File, Image, Pdf, Text, Video, attachment
from switchboard.sdk.structured_elements import (
    CustomElement,
    Dataframe,
    Plotly,
    Pyplot,
    Task,
    TaskList,
    TaskStatus,
)

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
