"""Checks of client-supplied values against what the server asked for."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from switchboard.schema.client import is_uuid4
from switchboard.schema.steps import ActionDict, AskSpec, StepDict

__all__ = ("InvalidInput", "validate_answer", "validate_settings")


class InvalidInput(ValueError):
    """A client value that does not fit its spec; the message says why."""


def validate_answer(spec: AskSpec, answer: Any, max_text: int) -> Any:
    """Return the answer to store, or raise InvalidInput."""
    if spec.type == "text":
        try:
            step = StepDict.model_validate(answer)
        except ValidationError as exc:
            raise InvalidInput("text answer must be a message dict") from exc
        if step.id is None or not is_uuid4(step.id):
            raise InvalidInput("text answer needs a uuid4 id")
        if len((step.output or "").encode()) > max_text:
            raise InvalidInput("text answer is too large")
        return step.model_dump(mode="json", exclude_unset=True)
    if spec.type == "action":
        try:
            action = ActionDict.model_validate(answer)
        except ValidationError as exc:
            raise InvalidInput("action answer must be an action dict") from exc
        if action.id not in (spec.keys or []):
            raise InvalidInput("action is not one of the ask's actions")
        return action.model_dump(mode="json")
    if spec.type == "file":
        if not isinstance(answer, list) or not all(
            isinstance(f, dict) and isinstance(f.get("id"), str) for f in answer
        ):
            raise InvalidInput("file answer must be a list of {id}")
        if spec.max_files is not None and len(answer) > spec.max_files:
            raise InvalidInput(f"at most {spec.max_files} files")
        return [{"id": f["id"]} for f in answer]
    if not isinstance(answer, dict) or not isinstance(answer.get("submitted"), bool):
        raise InvalidInput("element answer must be {submitted: bool, ...}")
    return answer


def _check_widget(widget: dict[str, Any], value: Any) -> None:
    kind = widget.get("type")
    label = widget.get("id")
    if value is None and kind in ("textinput", "numberinput"):
        # Chainlit's UI sends a field left empty as null, and Chainlit passes it on.
        return
    if kind in ("switch", "checkbox"):
        if not isinstance(value, bool):
            raise InvalidInput(f"{label}: expected a boolean")
    elif kind in ("slider", "numberinput"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidInput(f"{label}: expected a number")
        if kind == "slider" and not widget.get("min", value) <= value <= widget.get("max", value):
            raise InvalidInput(f"{label}: out of range")
    elif kind in ("select", "radio"):
        allowed = {item["value"] for item in widget.get("items", [])}
        if not isinstance(value, str) or (allowed and value not in allowed):
            raise InvalidInput(f"{label}: not one of the choices")
    elif kind == "textinput":
        if not isinstance(value, str):
            raise InvalidInput(f"{label}: expected a string")
    elif kind in ("tags", "multiselect"):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InvalidInput(f"{label}: expected a list of strings")
        allowed = {item["value"] for item in widget.get("items", [])}
        if kind == "multiselect" and allowed and not set(value) <= allowed:
            raise InvalidInput(f"{label}: not among the choices")
    elif kind == "datepicker" and not (
        value is None
        or isinstance(value, str)
        or (isinstance(value, list) and all(isinstance(v, str) for v in value))
    ):
        raise InvalidInput(f"{label}: expected a date string or a range")


def validate_settings(spec: list[dict[str, Any]], values: Any) -> dict[str, Any]:
    if not isinstance(values, dict):
        raise InvalidInput("settings must be an object")
    widgets = {w["id"]: w for w in spec}
    for key, value in values.items():
        widget = widgets.get(key)
        if widget is None:
            raise InvalidInput(f"{key}: no such setting")
        _check_widget(widget, value)
    return values
