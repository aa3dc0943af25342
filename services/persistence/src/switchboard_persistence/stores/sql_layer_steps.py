"""Step writes for Switchboard's ``SQLAlchemyDataLayer`` on PostgreSQL, a batch at a time.

That data layer writes one step per call: a transaction, a look at the step's thread
(added when missing), an upsert. At a chat's pace this was the whole budget of the
persistence consumer (about a millisecond of CPU and four round trips per step), and
it fell seconds behind at 50 sessions. When the app's layer is that class with its step
writes as shipped (nothing of them overridden) and its database is PostgreSQL, the
consumer writes the steps of a batch in one transaction instead, leaving the rows the
calls would have left, as ``create_step`` / ``update_step`` write them:

- a step's values are its dict's keys that are step columns with a value (``showInput``
  as lower-case text), ``metadata`` ``{}`` and ``streaming`` false when not given,
  limited to the columns the database has;
- a missing thread is added with ``createdAt`` now and ``metadata`` ``{}``, an existing
  one is left alone;
- an upsert by id replaces the given columns and keeps ``createdAt``. So writes of one
  step in a transaction compose into one: later values over earlier ones, the first
  write's ``createdAt``.

``services/persistence/tests/test_persistence_app_layer_batches.py`` writes the same
events both ways and compares the rows.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from switchboard.data.base import BaseDataLayer
from switchboard.data.chainlit_tables import LAYER_TABLES
from switchboard.data.sql_alchemy import SQLAlchemyDataLayer
from switchboard.data.sql_rows import STEP_KEYS, step_values
from switchboard.schema.steps import utc_now_iso
from switchboard.sdk.dicts import StepDict

__all__ = ("SqlLayerSteps", "sql_layer_steps")

logger = logging.getLogger(__name__)

# The tables as the data layer declares them: the batch writes what its calls would.
STEPS, THREADS = LAYER_TABLES.steps, LAYER_TABLES.threads

# The methods whose effect the batch reproduces: overriding any of them opts out.
_MIRRORED = ("create_step", "update_step", "_update_thread", "_upsert", "_present", "columns")
# Columns an upsert never changes: the key, and the time the step was first written.
_KEPT = frozenset({"id", "createdAt"})


def sql_layer_steps(layer: BaseDataLayer) -> SqlLayerSteps | None:
    """The batched step writer for ``layer``, when it writes steps as shipped; else None."""
    if not isinstance(layer, SQLAlchemyDataLayer):
        return None
    for name in _MIRRORED:
        shipped = getattr(SQLAlchemyDataLayer, name, None)
        if shipped is not None and getattr(type(layer), name, None) is not shipped:
            logger.info(
                "app data layer overrides a step write; one call per step",
                extra={"layer": type(layer).__qualname__, "method": name},
            )
            return None
    if layer.engine.dialect.name != "postgresql":
        return None
    return SqlLayerSteps(layer)


def _key(value: Any) -> str:
    """A uuid as PostgreSQL compares it (any spelling it accepts), else the text."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return str(value)


def _values(step: Mapping[str, Any], have: frozenset[str]) -> dict[str, Any]:
    """What ``create_step`` stores of one step dict, in the columns the database has."""
    return {k: v for k, v in step_values(cast(StepDict, step)).items() if k in have}


def _composed(writes: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per step id: later values over earlier ones, the first ``createdAt`` (or none).

    Sorted by id: rows are independent once composed, and one lock order keeps two
    replicas' batches from deadlocking on each other's rows."""
    rows: dict[str, dict[str, Any]] = {}
    for values in writes:
        key = _key(values["id"])
        known = rows.get(key)
        if known is None:
            rows[key] = dict(values)
            continue
        merged = {**known, **values}
        if "createdAt" in known:
            merged["createdAt"] = known["createdAt"]
        else:
            merged.pop("createdAt", None)
        rows[key] = merged
    return [rows[key] for key in sorted(rows)]


@functools.lru_cache(maxsize=64)
def _step_upsert(columns: tuple[str, ...]) -> Any:
    """One statement per set of given columns, built once (building one costs more than
    running it)."""
    stmt = insert(STEPS)
    changes = {k: stmt.excluded[k] for k in columns if k not in _KEPT}
    if not changes:
        return stmt.on_conflict_do_nothing(index_elements=["id"])
    return stmt.on_conflict_do_update(index_elements=["id"], set_=changes)


@functools.lru_cache(maxsize=8)
def _thread_insert(columns: tuple[str, ...]) -> Any:
    """A missing thread as ``create_step`` adds it (an upsert that keeps ``createdAt``)."""
    stmt = insert(THREADS)
    changes = {k: stmt.excluded[k] for k in columns if k not in _KEPT}
    if not changes:
        return stmt.on_conflict_do_nothing(index_elements=["id"])
    return stmt.on_conflict_do_update(index_elements=["id"], set_=changes)


class SqlLayerSteps:
    """Batched step writes into the tables of one ``SQLAlchemyDataLayer``."""

    def __init__(self, layer: SQLAlchemyDataLayer) -> None:
        self.layer = layer

    async def write(self, steps: Sequence[Mapping[str, Any]]) -> None:
        """Store ``steps`` (dicts as ``create_step`` takes them, ``threadId`` set) as calls in
        their order would, in one transaction."""
        if not steps:
            return
        have = await self.layer.columns()
        rows = _composed([_values(step, have[STEPS.name]) for step in steps])
        threads = {_key(step["threadId"]): str(step["threadId"]) for step in steps}
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in rows:
            columns = tuple(c for c in STEP_KEYS if c in row)
            groups.setdefault(columns, []).append(row)
        async with self.layer.engine.begin() as conn:
            await self._ensure_threads(conn, threads, have[THREADS.name])
            for columns, group in groups.items():
                await conn.execute(_step_upsert(columns), group)

    @staticmethod
    async def _ensure_threads(
        conn: AsyncConnection, thread_ids: dict[str, str], have: frozenset[str]
    ) -> None:
        """``thread_ids``: each thread's id as PostgreSQL compares it -> as written."""
        t = THREADS.c
        query = select(t.id).where(t.id.in_(list(thread_ids.values())))
        found = {_key(found) for found in (await conn.execute(query)).scalars()}
        missing = [tid for key, tid in sorted(thread_ids.items()) if key not in found]
        if not missing:
            return
        now = utc_now_iso()
        rows = [
            {k: v for k, v in {"id": tid, "createdAt": now, "metadata": {}}.items() if k in have}
            for tid in missing
        ]
        await conn.execute(_thread_insert(tuple(rows[0])), rows)
