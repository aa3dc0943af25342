"""Chat settings widgets (``cl.input_widget``) with Chainlit's dict shapes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = (
    "Checkbox",
    "DatePicker",
    "InputWidget",
    "MultiSelect",
    "NumberInput",
    "RadioGroup",
    "Select",
    "Slider",
    "Switch",
    "Tab",
    "Tags",
    "TextInput",
)


@dataclass
class InputWidget:
    id: str
    label: str
    initial: Any = None
    tooltip: str | None = None
    description: str | None = None
    disabled: bool = False

    type = "input"

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "id": self.id,
            "label": self.label,
            "initial": self.initial,
            "tooltip": self.tooltip,
            "description": self.description,
            "disabled": self.disabled,
            **self._extra(),
        }

    def _extra(self) -> dict[str, Any]:
        return {}


@dataclass
class Switch(InputWidget):
    initial: bool = False
    type = "switch"


@dataclass
class Checkbox(InputWidget):
    initial: bool = False
    type = "checkbox"


@dataclass
class Slider(InputWidget):
    initial: float = 0
    min: float = 0
    max: float = 10
    step: float = 1
    type = "slider"

    def _extra(self) -> dict[str, Any]:
        return {"min": self.min, "max": self.max, "step": self.step}


def _items(values: list[str] | None, items: dict[str, str] | None) -> list[dict[str, str]]:
    if items:
        return [{"label": label, "value": value} for label, value in items.items()]
    return [{"label": v, "value": v} for v in values or []]


@dataclass
class Select(InputWidget):
    initial: str | None = None
    values: list[str] = field(default_factory=list)
    items: dict[str, str] = field(default_factory=dict)
    initial_index: int | None = None
    initial_value: str | None = None
    type = "select"

    def __post_init__(self) -> None:
        if not self.values and not self.items:
            raise ValueError("Select needs values or items")
        options = _items(self.values, self.items)
        if self.initial_value is not None:
            self.initial = self.initial_value
        elif self.initial_index is not None:
            self.initial = options[self.initial_index]["value"]

    def _extra(self) -> dict[str, Any]:
        return {"items": _items(self.values, self.items)}


@dataclass
class RadioGroup(Select):
    type = "radio"


@dataclass
class TextInput(InputWidget):
    initial: str | None = None
    placeholder: str | None = None
    multiline: bool = False
    type = "textinput"

    def _extra(self) -> dict[str, Any]:
        return {"placeholder": self.placeholder, "multiline": self.multiline}


@dataclass
class NumberInput(InputWidget):
    initial: float | None = None
    placeholder: str | None = None
    type = "numberinput"

    def _extra(self) -> dict[str, Any]:
        return {"placeholder": self.placeholder}


@dataclass
class Tags(InputWidget):
    initial: list[str] = field(default_factory=list)
    values: list[str] = field(default_factory=list)
    type = "tags"

    def _extra(self) -> dict[str, Any]:
        return {"values": self.values}


@dataclass
class MultiSelect(InputWidget):
    initial: list[str] = field(default_factory=list)
    values: list[str] = field(default_factory=list)
    items: dict[str, str] = field(default_factory=dict)
    type = "multiselect"

    def _extra(self) -> dict[str, Any]:
        return {"items": _items(self.values, self.items)}


@dataclass
class DatePicker(InputWidget):
    initial: str | list[str] | None = None
    mode: str = "single"
    min_date: str | None = None
    max_date: str | None = None
    format: str | None = None
    placeholder: str | None = None
    type = "datepicker"

    def _extra(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "min_date": self.min_date,
            "max_date": self.max_date,
            "format": self.format,
            "placeholder": self.placeholder,
        }


@dataclass
class Tab:
    id: str
    label: str
    inputs: list[InputWidget] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "inputs": [i.to_dict() for i in self.inputs]}
