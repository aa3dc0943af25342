"""Favourite messages: a flag in a step's metadata (``favorite``), as Chainlit keeps it.

A user may star only messages of their own live threads, and lists only their own
favourites. Ids the caller does not own answer as if they did not exist. Only
Switchboard's own schema keeps them; other storage modes list none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import null, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from switchboard.schema import StepDict
from switchboard_persistence.db.sql import STEPS, THREADS, owned_by
from switchboard_persistence.step_reads import step_dict

__all__ = ("FAVORITE_TYPES", "LIST_LIMIT", "FavoriteStore")

# What can be starred: messages, not tool steps or runs.
FAVORITE_TYPES = ("user_message", "assistant_message")
# The most recent favourites a list holds.
LIST_LIMIT = 100
_NO_FEEDBACK = (null().label("fb_id"), null().label("fb_value"), null().label("fb_comment"))


@dataclass(frozen=True, slots=True)
class FavoriteStore:
    engine: AsyncEngine

    async def list(self, owner: str) -> list[StepDict]:
        """The owner's starred messages in live threads, most recent first."""
        c, t = STEPS.c, THREADS.c
        query = (
            select(STEPS, *_NO_FEEDBACK)
            .join(THREADS, t.id == c.thread_id)
            .where(
                t.user_identifier == owner,
                t.deleted_at.is_(None),
                c.type.in_(FAVORITE_TYPES),
                c["metadata"]["favorite"].as_boolean().is_(True),
            )
            .order_by(c.created_at.desc().nulls_last(), c.seq.desc())
            .limit(LIST_LIMIT)
        )
        async with self.engine.connect() as conn:
            rows = await conn.execute(query)
            return [step_dict(row._mapping) for row in rows]

    async def set(
        self, thread_id: str, step_id: str, caller: str | None, favorite: bool
    ) -> StepDict | None:
        """Star or unstar a message of the caller's thread; None when it is not theirs."""
        if caller is None:  # favourites belong to a signed-in user
            return None
        c, t = STEPS.c, THREADS.c
        where = (
            c.thread_id == thread_id,
            c.id == step_id,
            c.type.in_(FAVORITE_TYPES),
        )
        async with self.engine.begin() as conn:
            row = (
                await conn.execute(
                    select(c["metadata"])
                    .join(THREADS, t.id == c.thread_id)
                    .where(*where, owned_by(t.user_identifier, caller), t.deleted_at.is_(None))
                    .with_for_update(of=STEPS)
                )
            ).first()
            if row is None:
                return None
            metadata: dict[str, Any] = dict(row[0] or {})
            metadata["favorite"] = favorite
            await conn.execute(update(STEPS).where(*where).values({c["metadata"]: metadata}))
            saved = (await conn.execute(select(STEPS, *_NO_FEEDBACK).where(*where))).first()
        return step_dict(saved._mapping) if saved is not None else None
