"""files: uploads recorded with their owner and object key

Revision ID: 0002_files
Revises: 0001_initial
Create Date: 2025-01-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_files"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.String(255)
_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "files",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("user_identifier", sa.Text(), nullable=True),
        sa.Column("session_id", _ID, nullable=True),
        sa.Column("thread_id", _ID, nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("mime", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("object_key", sa.Text(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
    )
    op.create_index("ix_files_user_identifier", "files", ["user_identifier"])
    op.create_index("ix_files_session_id", "files", ["session_id"])
    op.create_index("ix_files_thread_id", "files", ["thread_id"])


def downgrade() -> None:
    op.drop_table("files")
