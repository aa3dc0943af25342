"""Switchboard's schema to an app's data layer and back.

A data layer takes Chainlit's dicts and SDK elements and returns whatever it stored; the
routes need Switchboard's validated models, with ids the browser can send back (uuids).
What does not fit is left out and logged rather than hiding a whole thread.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from switchboard.schema import ElementDict, StepDict, ThreadDict
from switchboard.schema.ids import is_uuid_id
from switchboard.schema.steps import STEP_TYPES
from switchboard.sdk.element import Element
from switchboard_persistence.stores.app_layer_memory import LayerMemory

__all__ = ("browser_feedback_id", "element_dict", "layer_element", "step_values", "thread_dict")

logger = logging.getLogger(__name__)

# Browser-facing ids for a data layer's feedback ids that are not uuids.
_FEEDBACK_NS = uuid.UUID("0b0c5f5e-4f7e-4c41-9a55-2f1f3e0d5a11")


@dataclass(kw_only=True)
class _StoredElement(Element):
    """An element as the persistence stream carries it (its dict, its content)."""

    stored: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.stored)


def layer_element(payload: ElementDict, thread_id: str, content: bytes | None) -> Element:
    """The SDK element a data layer's ``create_element`` expects, with the file's bytes."""
    stored = payload.model_dump(mode="json", exclude={"path"})
    stored["threadId"] = thread_id
    element = _StoredElement(
        name=payload.name,
        id=payload.id,
        url=payload.url,
        content=content,
        display=payload.display,
        size=payload.size,
        for_id=payload.forId,
        language=payload.language,
        mime=payload.mime,
        thread_id=thread_id,
        chainlit_key=payload.chainlitKey,
        object_key=payload.objectKey,
        stored=stored,
    )
    # ``type`` is a class attribute of SDK elements; this one carries the stored type.
    object.__setattr__(element, "type", payload.type)
    return element


def step_values(payload: StepDict) -> dict[str, Any]:
    """The step dict a data layer gets: the fields the producer set, feedback apart."""
    data: dict[str, Any] = payload.model_dump(mode="json", exclude_none=True)
    data.pop("feedback", None)
    return data


_Model = TypeVar("_Model", bound=BaseModel)


def _fitted(model: type[_Model], data: dict[str, Any], event: str, **ids: Any) -> _Model | None:
    """``data`` as ``model``; None, logged with ``ids``, when a data layer's row does not fit."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        logger.warning(event, extra={**ids, "error": str(exc)})
        return None


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def element_dict(thread_id: str, raw: Any) -> ElementDict | None:
    """A data layer's element in Switchboard's schema; None (logged) when it does not fit."""
    element = dict(raw)
    element["display"] = element.get("display") or "inline"
    if isinstance(element.get("props"), str):
        element["props"] = _json_object(element["props"])
    return _fitted(
        ElementDict,
        element,
        "data layer element left out",
        thread_id=thread_id,
        element_id=element.get("id"),
    )


def browser_feedback_id(memory: LayerMemory, thread_id: str, layer_id: Any) -> str | None:
    """The data layer's feedback id as the browser sees it: a uuid, remembered both ways."""
    if not layer_id:
        return None
    layer_id = str(layer_id)
    shown = layer_id if is_uuid_id(layer_id) else str(uuid.uuid5(_FEEDBACK_NS, layer_id))
    memory.feedback.remember(shown, (thread_id, layer_id))
    return shown


def _step(memory: LayerMemory, thread_id: str, raw: Any) -> StepDict | None:
    step = dict(raw)
    if step.get("id"):
        memory.step_threads.remember(str(step["id"]), thread_id)
    if step.get("type") not in STEP_TYPES:
        step["type"] = "undefined"
    feedback = step.get("feedback")
    if feedback:
        feedback = dict(feedback)
        feedback["id"] = browser_feedback_id(memory, thread_id, feedback.get("id"))
        feedback["value"] = 1 if feedback.get("value") else 0
        step["feedback"] = feedback
    return _fitted(
        StepDict, step, "data layer step left out", thread_id=thread_id, step_id=step.get("id")
    )


def thread_dict(memory: LayerMemory, raw: Any, owner: str | None = None) -> ThreadDict | None:
    """The data layer's thread in Switchboard's schema; its steps' threads are remembered."""
    if raw is None:
        return None
    data = dict(raw)
    thread_id = str(data.get("id"))
    data["metadata"] = data.get("metadata") or {}
    data["createdAt"] = data.get("createdAt") or ""
    if owner is not None and not data.get("userIdentifier"):
        data["userIdentifier"] = owner
    steps = (_step(memory, thread_id, s) for s in data.get("steps") or [])
    elements = (element_dict(thread_id, e) for e in data.get("elements") or [])
    data["steps"] = [s for s in steps if s is not None]
    data["elements"] = [e for e in elements if e is not None]
    return _fitted(ThreadDict, data, "data layer thread does not validate", thread_id=thread_id)
