"""How a batch of persist events is scheduled onto an app's data layer.

One lane per thread: a thread's events are applied in stream order, and lanes run at
the same time (the writer bounds how many data-layer calls are in flight). In a lane,
a step upsert directly followed by an upsert of the same step that carries every field
it carries, with the same ``createdAt``, is redundant and dropped: whether a data layer
sets the fields it is given (Chainlit's upserts) or replaces the row, the later write
leaves the row as the pair would, first-write-wins columns included. Runs of step
upserts are most of a chat's events; when the data layer's step writes can be batched,
every lane hands its run to one :class:`GroupCommit`, which writes what the lanes have
handed in together.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from switchboard.schema import PersistEvent, StepUpsert
from switchboard_persistence.validation import thread_of

__all__ = ("GroupCommit", "Lane", "plan_lanes", "supersedes")

_T = TypeVar("_T")


# Never part of what a step write gives: the writer sets ``threadId`` from the envelope.
_NOT_GIVEN = frozenset({"feedback", "threadId"})


def _given(event: StepUpsert) -> set[str]:
    """The fields a step upsert gives a data layer (None is not given)."""
    payload = event.payload
    return {
        name
        for name in payload.model_fields_set
        if name not in _NOT_GIVEN and getattr(payload, name) is not None
    }


def supersedes(later: StepUpsert, earlier: StepUpsert) -> bool:
    """``later`` leaves the step as ``earlier`` followed by ``later`` would."""
    return (
        later.payload.id == earlier.payload.id
        and later.payload.createdAt == earlier.payload.createdAt
        and _given(earlier) <= _given(later)
    )


@dataclass
class Lane:
    """One thread's events of a batch, in stream order, redundant step writes dropped."""

    thread_id: str
    events: list[PersistEvent] = field(default_factory=list)

    def add(self, event: PersistEvent) -> None:
        last = self.events[-1] if self.events else None
        if (
            isinstance(event, StepUpsert)
            and isinstance(last, StepUpsert)
            and supersedes(event, last)
        ):
            self.events[-1] = event
        else:
            self.events.append(event)

    def segments(self) -> Iterator[list[StepUpsert] | PersistEvent]:
        """Runs of step upserts (batchable) and the other events, one at a time, in order."""
        run: list[StepUpsert] = []
        for event in self.events:
            if isinstance(event, StepUpsert):
                run.append(event)
                continue
            if run:
                yield run
                run = []
            yield event
        if run:
            yield run


def plan_lanes(events: Sequence[PersistEvent]) -> list[Lane]:
    """The batch's lanes, in the order their threads first appear (events validated)."""
    lanes: dict[str, Lane] = {}
    for event in events:
        thread_id = thread_of(event)
        assert thread_id is not None  # validate_event checked it
        lane = lanes.get(thread_id)
        if lane is None:
            lane = lanes[thread_id] = Lane(thread_id)
        lane.add(event)
    return list(lanes.values())


class GroupCommit(Generic[_T]):
    """Items handed in while a write is in flight go together in the next write.

    ``write`` returns once the items are written, or raises what the write raised: the
    lane that handed them in goes on (or stops) knowing where its thread stands. One
    write at a time, so a lane's next run is never written before its previous one.
    """

    def __init__(self, flush: Callable[[list[_T]], Awaitable[None]]) -> None:
        self._flush = flush
        self._waiting: list[tuple[list[_T], asyncio.Future[None]]] = []
        self._task: asyncio.Task[None] | None = None

    async def write(self, items: Sequence[_T]) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((list(items), done))
        if self._task is None or self._task.done():
            # Started after the lanes ready now have run: their runs join this write.
            self._task = asyncio.create_task(self._drain(), name="app-layer-group-commit")
        await done

    async def close(self) -> None:
        """Stop a write still in flight (the batch was cancelled)."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _drain(self) -> None:
        while self._waiting:
            taken, self._waiting = self._waiting, []
            try:
                await self._flush([item for items, _ in taken for item in items])
            except asyncio.CancelledError:
                for _, done in taken:
                    done.cancel()
                raise
            except Exception as exc:
                for _, done in taken:
                    if not done.done():
                        done.set_exception(exc)
            else:
                for _, done in taken:
                    if not done.done():
                        done.set_result(None)
