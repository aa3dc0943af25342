"""threads, steps, elements and feedbacks

Revision ID: 0001_initial
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Spelled out here rather than imported: a migration must not change when models do.
_ID = sa.String(255)
_TS = sa.DateTime(timezone=True)


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True), "postgresql"
    )


def upgrade() -> None:
    op.create_table(
        "threads",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.Column("deleted_at", _TS, nullable=True),
        sa.Column("name", sa.String(255), nullable=True),
        sa.Column("user_id", sa.Text(), nullable=True),
        sa.Column("user_identifier", sa.Text(), nullable=True),
        sa.Column("tags", _json(), nullable=True),
        sa.Column("metadata", _json(), nullable=True),
    )
    op.create_index(
        "ix_threads_user_updated",
        "threads",
        ["user_identifier", sa.text("updated_at DESC")],
    )

    op.create_table(
        "steps",
        sa.Column("id", _ID, primary_key=True),
        sa.Column(
            "thread_id",
            _ID,
            sa.ForeignKey("threads.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("parent_id", _ID, nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("type", sa.String(32), nullable=True),
        sa.Column("input", sa.Text(), nullable=True),
        sa.Column("output", sa.Text(), nullable=True),
        sa.Column("metadata", _json(), nullable=True),
        sa.Column("tags", _json(), nullable=True),
        sa.Column("is_error", sa.Boolean(), nullable=True),
        sa.Column("streaming", sa.Boolean(), nullable=True),
        sa.Column("wait_for_answer", sa.Boolean(), nullable=True),
        sa.Column("created_at", sa.Text(), nullable=True),
        sa.Column("start", sa.Text(), nullable=True),
        sa.Column("end", sa.Text(), nullable=True),
        sa.Column("command", sa.Text(), nullable=True),
        sa.Column("modes", _json(), nullable=True),
        sa.Column("generation", _json(), nullable=True),
        sa.Column("show_input", _json(), nullable=True),
        sa.Column("language", sa.Text(), nullable=True),
        sa.Column("default_open", sa.Boolean(), nullable=True),
        sa.Column("auto_collapse", sa.Boolean(), nullable=True),
        sa.Column("icon", sa.Text(), nullable=True),
    )
    op.create_index("ix_steps_thread_id", "steps", ["thread_id"])
    op.create_index("ix_steps_parent_id", "steps", ["parent_id"])
    op.create_index("ix_steps_thread_created_seq", "steps", ["thread_id", "created_at", "seq"])
    op.create_index("ix_steps_thread_seq", "steps", ["thread_id", "seq"])

    op.create_table(
        "elements",
        sa.Column("id", _ID, primary_key=True),
        sa.Column(
            "thread_id",
            _ID,
            sa.ForeignKey("threads.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("for_id", _ID, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("chainlit_key", sa.Text(), nullable=True),
        sa.Column("path", sa.Text(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("object_key", sa.Text(), nullable=True),
        sa.Column("display", sa.Text(), nullable=True),
        sa.Column("size", sa.Text(), nullable=True),
        sa.Column("language", sa.Text(), nullable=True),
        sa.Column("page", sa.Integer(), nullable=True),
        sa.Column("props", _json(), nullable=True),
        sa.Column("auto_play", sa.Boolean(), nullable=True),
        sa.Column("player_config", _json(), nullable=True),
        sa.Column("mime", sa.Text(), nullable=True),
    )
    op.create_index("ix_elements_thread_id", "elements", ["thread_id"])
    op.create_index("ix_elements_for_id", "elements", ["for_id"])

    op.create_table(
        "feedbacks",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("for_id", _ID, nullable=False),
        sa.Column(
            "thread_id",
            _ID,
            sa.ForeignKey("threads.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
    )
    op.create_index("ix_feedbacks_for_id", "feedbacks", ["for_id"])
    op.create_index("ix_feedbacks_thread_id", "feedbacks", ["thread_id"])


def downgrade() -> None:
    op.drop_table("feedbacks")
    op.drop_table("elements")
    op.drop_table("steps")
    op.drop_table("threads")
