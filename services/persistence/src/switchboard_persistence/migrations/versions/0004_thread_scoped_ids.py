"""steps and elements are known by (thread_id, id): a client's id never reaches another thread

Clients choose step and element ids. With the id alone as the key, a write whose
id was already used in another thread had to be dropped, and that told the writer
the id exists elsewhere. Each thread now has its own rows.

Revision ID: 0004_thread_scoped_ids
Revises: 0003_step_version
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_thread_scoped_ids"
down_revision: str | None = "0003_step_version"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.String(255)
_SCOPED = ["thread_id", "id"]

# On downgrade an id may name rows in several threads; the old schema kept the first
# write of an id and dropped the others, so the earliest row is the one kept.
_STEP_ORDER = "CASE WHEN created_at IS NULL THEN 1 ELSE 0 END, created_at, version, thread_id"
_ELEMENT_ORDER = "created_at, thread_id"


def _set_primary_key(table: str, columns: list[str], *, thread_nullable: bool) -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite cannot alter a primary key: the table is copied under the new one.
        existing = sa.Table(table, sa.MetaData(), autoload_with=op.get_bind())
        for column in existing.c:
            column.primary_key = column.name in columns
        existing.c.thread_id.nullable = thread_nullable
        existing.append_constraint(sa.PrimaryKeyConstraint(*columns, name=f"pk_{table}"))
        with op.batch_alter_table(table, copy_from=existing, recreate="always"):
            pass
        return
    op.drop_constraint(f"{table}_pkey", table, type_="primary")
    op.create_primary_key(f"{table}_pkey", table, columns)
    op.alter_column(table, "thread_id", existing_type=_ID, nullable=thread_nullable)


def upgrade() -> None:
    # An element without a thread could never be read (every read names its thread).
    op.execute("DELETE FROM elements WHERE thread_id IS NULL")
    for table in ("steps", "elements"):
        _set_primary_key(table, _SCOPED, thread_nullable=False)
        # The primary key now leads with thread_id.
        op.drop_index(f"ix_{table}_thread_id", table_name=table)
    # A rating names its step by id alone.
    op.create_index("ix_steps_id", "steps", ["id"])


def _later_duplicates(table: str, order: str) -> str:
    """(thread_id, id) of every row whose id an earlier row of another thread holds."""
    return (
        f"SELECT thread_id, id FROM (SELECT thread_id, id, ROW_NUMBER() OVER "
        f"(PARTITION BY id ORDER BY {order}) AS n FROM {table}) AS ranked WHERE n > 1"
    )


def downgrade() -> None:
    op.drop_index("ix_steps_id", table_name="steps")
    doomed_steps = _later_duplicates("steps", _STEP_ORDER)
    op.execute(f"DELETE FROM feedbacks WHERE (thread_id, for_id) IN ({doomed_steps})")
    op.execute(f"DELETE FROM steps WHERE (thread_id, id) IN ({doomed_steps})")
    doomed_elements = _later_duplicates("elements", _ELEMENT_ORDER)
    op.execute(f"DELETE FROM elements WHERE (thread_id, id) IN ({doomed_elements})")
    for table in ("steps", "elements"):
        op.create_index(f"ix_{table}_thread_id", table, ["thread_id"])
        _set_primary_key(table, ["id"], thread_nullable=table == "elements")
