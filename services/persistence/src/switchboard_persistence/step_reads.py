"""Step rows (joined with their feedback) read back as Chainlit's step dicts."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from switchboard.schema import FeedbackDict, StepDict

__all__ = ("step_dict", "unique_steps")


def step_dict(m: Any) -> StepDict:
    """One step row's mapping, with its ``fb_*`` feedback columns, as a step dict."""
    feedback = None
    if m["fb_id"] is not None:
        feedback = FeedbackDict(
            forId=m["id"], id=m["fb_id"], value=1 if m["fb_value"] else 0, comment=m["fb_comment"]
        )
    return StepDict(
        id=m["id"],
        threadId=m["thread_id"],
        parentId=m["parent_id"],
        name=m["name"],
        type=m["type"],
        input=m["input"],
        output=m["output"],
        metadata=m["metadata"] or {},
        tags=m["tags"],
        isError=m["is_error"],
        streaming=m["streaming"],
        waitForAnswer=m["wait_for_answer"],
        createdAt=m["created_at"],
        start=m["start"],
        end=m["end"],
        command=m["command"],
        modes=m["modes"],
        generation=m["generation"],
        showInput=m["show_input"],
        language=m["language"],
        defaultOpen=m["default_open"],
        autoCollapse=m["auto_collapse"],
        icon=m["icon"],
        feedback=feedback,
    )


def unique_steps(rows: Iterable[Any]) -> list[StepDict]:
    """Step dicts in row order, one per step id."""
    seen: set[str] = set()
    steps: list[StepDict] = []
    for row in rows:
        m = row._mapping
        if m["id"] in seen:  # more than one feedback row joined: the first wins
            continue
        seen.add(m["id"])
        steps.append(step_dict(m))
    return steps
