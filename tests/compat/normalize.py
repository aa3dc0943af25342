"""Turn a recorded event stream into something two servers can be compared on.

Ids and timestamps differ between any two runs, so ids become ``<id1>``, ``<id2>``, …
in order of first appearance (which keeps every parent/child and for-id relation
checkable) and timestamps become ``<time>``. Tokens streamed into one message one after
the other are joined: the client appends them, so the text on screen is the same however
they were split. What else may differ is listed, with its reason, in ``differences.py``.
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
    if isinstance(value, dict):
        return {k: _value(v, ids, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_value(v, ids) for v in value]
    if isinstance(value, str):
        return _UUID.sub(ids, value)
    return value


Normalised = list[tuple[str, Any]]


def normalise(events: list[tuple[str, Any]]) -> Normalised:
    ids = _Ids()
    out: Normalised = []
    for name, data in events:
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
