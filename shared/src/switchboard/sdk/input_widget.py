"""Chat settings widgets (``cl.input_widget``) with Chainlit's dict shapes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
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

    def __post_init__(self) -> None:
        if not self.id or not self.label:
            raise ValueError("Must provide key and label to load InputWidget")

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

    def __post_init__(self) -> None:
        super().__post_init__()
        self.initial = _number(self.initial)
        self.min = _number(self.min)
        self.max = _number(self.max)
        self.step = _number(self.step)

    def _extra(self) -> dict[str, Any]:
        return {"min": self.min, "max": self.max, "step": self.step}


def _number(value: Any) -> Any:
    """Chainlit's widgets are pydantic dataclasses: an int given for a float is a float."""
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


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
        super().__post_init__()
        if not self.values and not self.items:
            raise ValueError("Select needs values or items")
        if self.values and self.items:
            raise ValueError("Select takes values or items, not both")
        if not self.values and self.initial_index is not None:
            raise ValueError("initial_index needs values")
        # Chainlit's rule: ``initial_index`` (into values) or ``initial_value``; a
        # plain ``initial`` is not used.
        if self.values and self.initial_index is not None:
            self.initial = self.values[self.initial_index]
        else:
            self.initial = self.initial_value

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

    def __post_init__(self) -> None:
        super().__post_init__()
        self.initial = _number(self.initial)

    def _extra(self) -> dict[str, Any]:
        return {"placeholder": self.placeholder}


@dataclass
class Tags(InputWidget):
    initial: list[str] = field(default_factory=list)
    values: list[str] = field(default_factory=list)
    type = "tags"


@dataclass
class MultiSelect(InputWidget):
    initial: list[str] = field(default_factory=list)
    values: list[str] = field(default_factory=list)
    items: dict[str, str] = field(default_factory=dict)
    type = "multiselect"

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.values and not self.items:
            raise ValueError("MultiSelect needs values or items")
        if self.values and self.items:
            raise ValueError("MultiSelect takes values or items, not both")

    def _extra(self) -> dict[str, Any]:
        return {"items": _items(self.values, self.items)}


@dataclass
class DatePicker(InputWidget):
    initial: str | date | tuple[str | date, str | date] | list[str | date] | None = None
    mode: str = "single"
    min_date: str | date | None = None
    max_date: str | date | None = None
    format: str | None = None
    placeholder: str | None = None
    type = "datepicker"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.mode not in ("single", "range"):
            raise ValueError("mode must be 'single' or 'range'")
        pair = isinstance(self.initial, tuple | list)
        if self.initial is not None and pair != (self.mode == "range"):
            raise ValueError(f"'initial' does not fit {self.mode} mode")
        low, high = _iso(self.min_date, "min_date"), _iso(self.max_date, "max_date")
        if low is not None and high is not None and low > high:
            raise ValueError("'[min_date, max_date]' range is invalid, start must be before end.")
        days = (
            [_iso(d, "initial") for d in self.initial]
            if isinstance(self.initial, tuple | list)
            else [_iso(self.initial, "initial")]
        )
        if len(days) == 2 and days[0] is not None and days[1] is not None and days[0] > days[1]:
            raise ValueError("'initial' range is invalid, start must be before end.")
        for day in days:
            if day is not None and ((low and day < low) or (high and day > high)):
                raise ValueError("'initial' must be within 'min_date' and 'max_date' bounds")

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        if isinstance(self.initial, tuple | list):
            data["initial"] = [_day(d) for d in self.initial]
        else:
            data["initial"] = _day(self.initial)
        return data

    def _extra(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "min_date": _day(self.min_date),
            "max_date": _day(self.max_date),
            "format": self.format,
            "placeholder": self.placeholder,
        }


def _iso(value: str | date | None, name: str) -> date | None:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError as e:
            raise ValueError(f"'{name}' must be in ISO format") from e
    return value


def _day(value: str | date | None) -> str | None:
    return value.isoformat() if isinstance(value, date) else value


@dataclass
class Tab:
    id: str
    label: str
    inputs: list[InputWidget] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "inputs": [i.to_dict() for i in self.inputs]}
