"""Users, owned by the auth service; other services refer to them by id and identifier."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ("Base", "UserRow", "new_credential_version")


def _now() -> datetime:
    return datetime.now(UTC)


def new_credential_version() -> str:
    """Random rather than a counter: a removed and re-added user never repeats one."""
    return uuid.uuid4().hex


class Base(DeclarativeBase):
    pass


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    identifier: Mapped[str] = mapped_column(String(255), unique=True, index=True)
    display_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    # argon2id hash for users of the built-in store; null for callback/OAuth users.
    password_hash: Mapped[str | None] = mapped_column(Text, nullable=True)
    # In every token issued to the user; replaced when the password, or the roles and
    # other metadata, change, which ends every token issued before.
    credential_version: Mapped[str] = mapped_column(String(32), default=new_credential_version)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=_now, onupdate=_now
    )
