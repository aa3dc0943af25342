"""Tables for threads, steps, elements, feedback and stored files.

Column names are snake_case; the REST layer maps them to Chainlit's camelCase
dicts. Types work on both SQLite (embedded default) and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator, TypeEngine

__all__ = (
    "ID_MAX",
    "THREAD_NAME_MAX",
    "Base",
    "Element",
    "Feedback",
    "File",
    "JsonType",
    "Step",
    "Thread",
    "UtcDateTime",
)

THREAD_NAME_MAX = 255
# Ids are uuids; longer ones are rejected before they reach the database.
ID_MAX = 255

# SQL NULL (not JSON ``null``) for None, so COALESCE in upserts sees "not given".
JsonType: TypeEngine[Any] = JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True), "postgresql"
)


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class Thread(Base):
    __tablename__ = "threads"

    id: Mapped[str] = mapped_column(String(ID_MAX), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    name: Mapped[str | None] = mapped_column(String(THREAD_NAME_MAX), default=None)
    user_id: Mapped[str | None] = mapped_column(Text, default=None)
    user_identifier: Mapped[str | None] = mapped_column(Text, default=None)
    tags: Mapped[list[str] | None] = mapped_column(JsonType, default=None)
    meta: Mapped[dict[str, Any] | None] = mapped_column("metadata", JsonType, default=None)

    __table_args__ = (
        # The sidebar lists a user's threads by most recent activity.
        Index("ix_threads_user_updated", "user_identifier", updated_at.desc()),
    )


class Step(Base):
    """A step, known by its id within its thread.

    Clients choose step ids (the UI mints one per user message), so the same id may
    appear in several threads: each is a row of its own, and a write to one thread
    never reaches another's.
    """

    __tablename__ = "steps"

    thread_id: Mapped[str] = mapped_column(
        String(ID_MAX), ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[str] = mapped_column(String(ID_MAX), primary_key=True)
    # Order of first application inside the thread: ties in created_at keep arrival order.
    seq: Mapped[int] = mapped_column(BigInteger)
    # No foreign key: a child may be persisted before its parent.
    parent_id: Mapped[str | None] = mapped_column(String(ID_MAX), index=True, default=None)
    name: Mapped[str | None] = mapped_column(Text, default=None)
    type: Mapped[str | None] = mapped_column(String(32), default=None)
    input: Mapped[str | None] = mapped_column(Text, default=None)
    output: Mapped[str | None] = mapped_column(Text, default=None)
    meta: Mapped[dict[str, Any] | None] = mapped_column("metadata", JsonType, default=None)
    tags: Mapped[list[str] | None] = mapped_column(JsonType, default=None)
    is_error: Mapped[bool | None] = mapped_column(Boolean, default=None)
    streaming: Mapped[bool | None] = mapped_column(Boolean, default=None)
    wait_for_answer: Mapped[bool | None] = mapped_column(Boolean, default=None)
    # Chainlit's ISO-8601 strings, kept exactly as the producer wrote them.
    created_at: Mapped[str | None] = mapped_column(Text, default=None)
    start: Mapped[str | None] = mapped_column(Text, default=None)
    end: Mapped[str | None] = mapped_column(Text, default=None)
    command: Mapped[str | None] = mapped_column(Text, default=None)
    modes: Mapped[dict[str, str] | None] = mapped_column(JsonType, default=None)
    generation: Mapped[dict[str, Any] | None] = mapped_column(JsonType, default=None)
    # ``bool | str`` on the wire (``"json"``, ``"python"``, ``True``...), so JSON keeps the type.
    show_input: Mapped[bool | str | None] = mapped_column(JsonType, default=None)
    language: Mapped[str | None] = mapped_column(Text, default=None)
    default_open: Mapped[bool | None] = mapped_column(Boolean, default=None)
    auto_collapse: Mapped[bool | None] = mapped_column(Boolean, default=None)
    icon: Mapped[str | None] = mapped_column(Text, default=None)
    # When the producer made the write (its envelope's ts): an older write
    # delivered late (a reclaimed batch) never overwrites a newer one.
    version: Mapped[float | None] = mapped_column(Float, default=None)

    __table_args__ = (
        Index("ix_steps_thread_created_seq", "thread_id", "created_at", "seq"),
        Index("ix_steps_thread_seq", "thread_id", "seq"),
        # A rating names its step by id alone; the caller's threads are then looked up.
        Index("ix_steps_id", "id"),
    )


class Element(Base):
    """An element, known by its id within its thread (apps choose element ids)."""

    __tablename__ = "elements"

    thread_id: Mapped[str] = mapped_column(
        String(ID_MAX), ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[str] = mapped_column(String(ID_MAX), primary_key=True)
    for_id: Mapped[str | None] = mapped_column(String(ID_MAX), index=True, default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    type: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    chainlit_key: Mapped[str | None] = mapped_column(Text, default=None)
    path: Mapped[str | None] = mapped_column(Text, default=None)
    url: Mapped[str | None] = mapped_column(Text, default=None)
    object_key: Mapped[str | None] = mapped_column(Text, default=None)
    display: Mapped[str | None] = mapped_column(Text, default=None)
    size: Mapped[str | None] = mapped_column(Text, default=None)
    language: Mapped[str | None] = mapped_column(Text, default=None)
    page: Mapped[int | None] = mapped_column(Integer, default=None)
    props: Mapped[dict[str, Any] | None] = mapped_column(JsonType, default=None)
    auto_play: Mapped[bool | None] = mapped_column(Boolean, default=None)
    player_config: Mapped[dict[str, Any] | None] = mapped_column(JsonType, default=None)
    mime: Mapped[str | None] = mapped_column(Text, default=None)


class Feedback(Base):
    __tablename__ = "feedbacks"

    id: Mapped[str] = mapped_column(String(ID_MAX), primary_key=True)
    # The step the feedback is about: the step of that id in ``thread_id``.
    for_id: Mapped[str] = mapped_column(String(ID_MAX), index=True)
    thread_id: Mapped[str | None] = mapped_column(
        String(ID_MAX), ForeignKey("threads.id", ondelete="CASCADE"), index=True, default=None
    )
    value: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class File(Base):
    """An uploaded file: who may read it, and where its bytes are in object storage."""

    __tablename__ = "files"

    id: Mapped[str] = mapped_column(String(ID_MAX), primary_key=True)
    # The owner; None for anonymous uploads, which their session id guards instead.
    user_identifier: Mapped[str | None] = mapped_column(Text, index=True, default=None)
    session_id: Mapped[str | None] = mapped_column(String(ID_MAX), index=True, default=None)
    # No foreign key: a file is often uploaded before its thread is first written.
    thread_id: Mapped[str | None] = mapped_column(String(ID_MAX), index=True, default=None)
    name: Mapped[str] = mapped_column(Text)
    mime: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger)
    object_key: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
