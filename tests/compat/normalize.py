"""Turn a recorded event stream into something two servers can be compared on.

Ids and timestamps differ between any two runs, so ids become ``<id1>``, ``<id2>``, …
in order of first appearance (which keeps every parent/child and for-id relation
checkable), timestamps become ``<time>`` and measured timings ``<measured>``. Tokens
streamed into one message one after the other are joined: the client appends them, so
the text on screen is the same however they were split. What else may differ is listed, with its reason, in ``differences.py``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from tests.compat.differences import IGNORED_EVENTS, IGNORED_KEYS

__all__ = ("Normalised", "normalise", "render")

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
_TIMES = frozenset({"createdAt", "start", "end", "updatedAt", "created_at"})
# Measured by the clock (an LLM generation's timings): differ between any two runs.
_MEASURED = frozenset({"duration", "ttFirstToken", "tokenThroughputInSeconds"})


@dataclass
class _Ids:
    seen: dict[str, str] = field(default_factory=dict)

    def __call__(self, match: re.Match[str]) -> str:
        value = match.group(0).lower()
        if value not in self.seen:
            self.seen[value] = f"<id{len(self.seen) + 1}>"
        return self.seen[value]


def _value(value: Any, ids: _Ids, key: str | None = None) -> Any:
    if key in _TIMES and value not in (None, ""):
        return "<time>"
    if key in _MEASURED and isinstance(value, int | float) and not isinstance(value, bool):
        return "<measured>"
    if isinstance(value, dict):
        return {k: _value(v, ids, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_value(v, ids) for v in value]
    if isinstance(value, str):
        return _UUID.sub(ids, value)
    return value


Normalised = list[tuple[str, Any]]


def _element_key(data: Any) -> tuple[str, str, str]:
    """What orders a message's elements: nothing in it depends on ids or timing."""
    if not isinstance(data, dict):
        return ("", "", "")
    return (str(data.get("type")), str(data.get("name")), str(data.get("display")))


def _sort_element_runs(events: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """Sort each run of consecutive ``element`` events for the same ``forId``.

    Chainlit sends a message's elements (and the side panel's) from concurrent tasks,
    so they arrive in any order; the client files each under its ``forId`` and shows a
    message's elements by kind, so the order within such a run is not observable. This
    runs before ids are numbered, so both streams number them the same way. The sort is
    stable: two sends of one element (same type and name) keep their order.
    """
    out: list[tuple[str, Any]] = []
    run: list[tuple[str, Any]] = []

    def for_id(data: Any) -> Any:
        return data.get("forId") if isinstance(data, dict) else None

    for event in events:
        if event[0] == "element" and (not run or for_id(run[0][1]) == for_id(event[1])):
            run.append(event)
            continue
        out.extend(sorted(run, key=lambda e: _element_key(e[1])))
        run = [event] if event[0] == "element" else []
        if not run:
            out.append(event)
    out.extend(sorted(run, key=lambda e: _element_key(e[1])))
    return out


def _is_run_start(event: tuple[str, Any]) -> bool:
    data = event[1]
    return event[0] == "new_message" and isinstance(data, dict) and data.get("type") == "run"


def _regroup_late_elements(events: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """Move an ``element`` back over the callback's run step to its message's elements.

    Chainlit sends a user message's attachments from concurrent tasks while the
    callback starts, so one of them may land after the run step's ``new_message``;
    the client files it under its ``forId`` either way.
    """
    out: list[tuple[str, Any]] = []
    for event in events:
        if event[0] == "element" and isinstance(event[1], dict):
            at = len(out)
            while at > 0 and _is_run_start(out[at - 1]):
                at -= 1
            before = out[at - 1] if at > 0 else None
            if (
                at < len(out)
                and before is not None
                and before[0] == "element"
                and isinstance(before[1], dict)
                and before[1].get("forId") == event[1].get("forId")
            ):
                out.insert(at, event)
                continue
        out.append(event)
    return out


def normalise(events: list[tuple[str, Any]]) -> Normalised:
    ids = _Ids()
    out: Normalised = []
    for name, data in _sort_element_runs(_regroup_late_elements(events)):
        if name in IGNORED_EVENTS:
            continue
        if isinstance(data, dict):
            ignored = {key for (event, key) in IGNORED_KEYS if event in (name, "*")}
            data = {k: v for k, v in data.items() if k not in ignored}
        value = _value(data, ids)
        last = out[-1] if out else None
        if (
            name == "stream_token"
            and last is not None
            and last[0] == "stream_token"
            and isinstance(value, dict)
            and {k: v for k, v in value.items() if k != "token"}
            == {k: v for k, v in last[1].items() if k != "token"}
        ):
            out[-1] = (name, {**last[1], "token": last[1]["token"] + value["token"]})
            continue
        out.append((name, value))
    return out


def render(events: Normalised) -> list[str]:
    """One line per event, keys sorted, for a readable diff."""
    return [f"{name} {json.dumps(data, sort_keys=True, default=str)}" for name, data in events]
