"""users.credential_version: tokens end when a user's credentials change"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0002_credential_version"
down_revision = "0001_users"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column("credential_version", sa.String(32), nullable=False, server_default="0"),
    )
    users = sa.table("users", sa.column("id", sa.String), sa.column("credential_version"))
    connection = op.get_bind()
    for (user_id,) in connection.execute(sa.select(users.c.id)).all():
        connection.execute(
            users.update().where(users.c.id == user_id).values(credential_version=uuid.uuid4().hex)
        )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("credential_version")
