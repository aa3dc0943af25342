"""A step with all its descendants, as one recursive query, for either schema.

Deleting a step deletes what hangs under it. Both schemas (Switchboard's snake_case
tables and Chainlit's camelCase ones) keep the tree as a parent column; the walk
never leaves the thread, so another thread's step that names a parent id it does not
own is never reached.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, Table, select

__all__ = ("subtree_ids",)


def subtree_ids(
    steps: Table, step_id: str, thread_id: str, *, parent: str, thread: str
) -> Select[Any]:
    """The ids of ``step_id`` and its descendants in ``thread_id``; ``parent`` and ``thread``
    name the table's parent-id and thread-id columns."""
    tree = (
        select(steps.c.id)
        .where(steps.c.id == step_id, steps.c[thread] == thread_id)
        .cte("doomed", recursive=True)
    )
    child = steps.alias("child")
    tree = tree.union(
        select(child.c.id).where(child.c[parent] == tree.c.id, child.c[thread] == thread_id)
    )
    return select(tree.c.id)
