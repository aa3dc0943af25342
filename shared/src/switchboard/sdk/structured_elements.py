"""Elements the SDK renders from rich inputs: figures, data frames, JSX props, task lists.

Each turns its input into ``content`` in ``_prepare`` before it is stored and sent.
"""

from __future__ import annotations

import enum
import io
import json
from dataclasses import dataclass, field
from typing import Any, ClassVar

from switchboard.sdk.element_base import Element

__all__ = (
    "CustomElement",
    "Dataframe",
    "Plotly",
    "Pyplot",
    "Task",
    "TaskList",
    "TaskStatus",
)


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
