"""What an app-layer store learns from its writes and reads, in bounded maps.

``BaseDataLayer`` cannot say which thread a step or a feedback belongs to, nor which of
its own cursors follows a thread id, and a write must know whether this process created
a step already. The answers are remembered here, per process; a miss costs a walk
through the data layer, never a wrong answer.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TypeVar

__all__ = ("Bounded", "LayerMemory")

_V = TypeVar("_V")

# Entries per map: enough for the threads being written and read, bounded for memory.
_REMEMBER = 10_000


class Bounded(OrderedDict[str, _V]):
    """A map that forgets its least recently remembered entries past ``_REMEMBER``."""

    def remember(self, key: str, value: _V) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > _REMEMBER:
            self.popitem(last=False)


@dataclass
class LayerMemory:
    """The maps one process keeps about the app's data layer."""

    # "thread\nstep" of steps this process created: later upserts are updates.
    created: Bounded[bool] = field(default_factory=Bounded)
    # user identifier -> the data layer's user id.
    users: Bounded[str] = field(default_factory=Bounded)
    # step id -> its thread, from writes and reads (feedback may name only the step).
    step_threads: Bounded[str] = field(default_factory=Bounded)
    # browser feedback id -> (thread id, the data layer's feedback id).
    feedback: Bounded[tuple[str, str]] = field(default_factory=Bounded)
    # "owner\nthread id ending a page" -> the data layer's cursor for the next page.
    cursors: Bounded[str] = field(default_factory=Bounded)

    @staticmethod
    def step_key(thread_id: str, step_id: str) -> str:
        return f"{thread_id}\n{step_id}"
