"""Rows of Chainlit's SQL tables to Chainlit's dicts, and step dicts to rows.

Kept apart from the data layer so the mapping (ids as strings, ``showInput`` as
text, feedback joined onto its step) reads in one place; the data layer adds only
what needs I/O, such as an element's read URL.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy.engine import RowMapping

from switchboard.data.chainlit_tables import LAYER_TABLES
from switchboard.schema.steps import utc_now_iso
from switchboard.sdk.dicts import FeedbackDict, StepDict, ThreadDict
from switchboard.sdk.user import PersistedUser

__all__ = (
    "STEP_KEYS",
    "element_from_row",
    "plain_ids",
    "show_input",
    "step_from_row",
    "step_values",
    "thread_from_row",
    "thread_values",
    "user_from_row",
)

Row = Mapping[str, Any] | RowMapping

# Step keys stored as they come (showInput is stored as text: "true", "false", "json").
STEP_KEYS = tuple(c.name for c in LAYER_TABLES.steps.columns)


def plain_ids(row: Row) -> dict[str, Any]:
    """The row with uuid values as strings, as Chainlit's dicts carry ids."""
    return {k: str(v) if isinstance(v, uuid.UUID) else v for k, v in row.items()}


def user_from_row(row: Row) -> PersistedUser:
    """A user row as the user Chainlit's callbacks get."""
    return PersistedUser(
        id=str(row["id"]),
        identifier=row["identifier"],
        createdAt=row.get("createdAt") or "",
        metadata=row.get("metadata") or {},
    )


def show_input(value: Any) -> bool | str | None:
    """A stored ``showInput`` back to what the step had: a bool, or a language name."""
    if value is None:
        return None
    return {"true": True, "false": False}.get(str(value).lower(), str(value))


def step_from_row(row: Row) -> StepDict:
    """A step row (with ``fb_id``, ``fb_value``, ``fb_comment`` joined) as a step dict."""
    step = cast(
        StepDict,
        {k: v for k, v in plain_ids(row).items() if k in STEP_KEYS and v is not None},
    )
    step["id"] = str(row["id"])
    step["threadId"] = str(row["threadId"])
    step["metadata"] = row.get("metadata") or {}
    step["showInput"] = show_input(row.get("showInput"))
    step["input"] = row.get("input") or ""
    step["output"] = row.get("output") or ""
    step["streaming"] = bool(row.get("streaming"))
    step["feedback"] = (
        FeedbackDict(
            forId=step["id"],
            id=str(row["fb_id"]),
            value=1 if row["fb_value"] else 0,
            comment=row.get("fb_comment"),
        )
        if row.get("fb_id") is not None
        else None
    )
    return step


def step_values(step_dict: StepDict) -> dict[str, Any]:
    """The columns a step write sets; the NOT NULL ones Chainlit may leave out get defaults."""
    values: dict[str, Any] = {
        k: v for k, v in step_dict.items() if k in STEP_KEYS and v is not None
    }
    if "showInput" in step_dict:
        values["showInput"] = str(step_dict.get("showInput")).lower()
    values.setdefault("metadata", {})
    values.setdefault("streaming", False)
    return values


def thread_values(
    thread_id: str,
    stored: Row | None,
    name: str | None,
    metadata: Mapping[str, Any] | None,
    tags: list[str] | None,
) -> dict[str, Any]:
    """The columns ``update_thread`` sets but the owner's, given the thread's stored
    ``metadata`` (None when it is new): a new thread gets ``createdAt``; a metadata key
    set to None is removed; a ``name`` in the given metadata names the thread."""
    values: dict[str, Any] = {"id": thread_id}
    if stored is None:
        values["createdAt"] = utc_now_iso()
    if metadata is not None or stored is None:
        merged = dict((stored["metadata"] if stored is not None else None) or {})
        for key, value in (metadata or {}).items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        values["metadata"] = merged
        if name is None and isinstance(merged.get("name"), str) and metadata:
            name = merged["name"]
    if name is not None:
        values["name"] = name
    if tags is not None:
        values["tags"] = tags
    return values


def element_from_row(row: Row) -> dict[str, Any]:
    """Every element column (None where the database lacks it), ids as strings."""
    element = {
        c.name: (str(row[c.name]) if isinstance(row.get(c.name), uuid.UUID) else row.get(c.name))
        for c in LAYER_TABLES.elements.columns
    }
    element["display"] = element.get("display") or "inline"
    return element


def thread_from_row(row: Row) -> ThreadDict:
    """A thread row as a thread dict with no steps or elements yet."""
    return ThreadDict(
        id=str(row["id"]),
        createdAt=row.get("createdAt") or "",
        name=row.get("name"),
        userId=str(row["userId"]) if row.get("userId") else None,
        userIdentifier=row.get("userIdentifier"),
        tags=row.get("tags"),
        metadata=row.get("metadata") or {},
        steps=[],
        elements=[],
    )
