"""Chainlit's ``SQLAlchemyDataLayer``: conversations in Chainlit's documented SQL schema.

The tables are the ones Chainlit documents and leaves to the app to create
(``users``, ``threads``, ``steps``, ``elements``, ``feedbacks``; camelCase quoted
columns, uuid ids, ISO-8601 text timestamps), so a database Chainlit 2.12 filled is
used as it is and Chainlit reads back what this class writes. PostgreSQL (asyncpg:
``JSONB``, ``TEXT[]``, ``UUID`` columns) and SQLite (aiosqlite: the same columns as
text, JSON encoded) both work. Columns a database lacks (older Chainlit versions
had fewer) are left out of reads and writes.

Unlike Chainlit's class, a failing statement raises instead of being logged and
dropped: the persistence service retries a write until it is stored. An element
without a storage provider is still recorded (with the URL it has), and list pages
are filtered and paged in SQL.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, cast

import httpx

from switchboard.data.base import BaseDataLayer
from switchboard.data.storage_clients.base import BaseStorageClient
from switchboard.data.utils import current_thread_id
from switchboard.logger import logger
from switchboard.schema.steps import utc_now_iso
from switchboard.sdk.dicts import ElementDict, FeedbackDict, StepDict, ThreadDict
from switchboard.sdk.element import Element
from switchboard.sdk.pagination import PageInfo, PaginatedResponse, Pagination, ThreadFilter
from switchboard.sdk.types import Feedback
from switchboard.sdk.user import PersistedUser, User

try:
    from sqlalchemy import (
        Boolean,
        Column,
        Dialect,
        Integer,
        MetaData,
        Table,
        Text,
        delete,
        func,
        inspect,
        select,
        text,
    )
    from sqlalchemy.dialects import postgresql, sqlite
    from sqlalchemy.engine import RowMapping
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
    from sqlalchemy.types import TypeDecorator, TypeEngine
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "SQLAlchemyDataLayer needs SQLAlchemy: pip install 'switchboard[sql]'"
    ) from exc

__all__ = ("CHAINLIT_TABLES", "SQLAlchemyDataLayer")


class _Json(TypeDecorator[Any]):
    """``JSONB`` on PostgreSQL; JSON text elsewhere (SQLite hands back the string)."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.JSONB(none_as_null=True))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None or dialect.name == "postgresql":
            return value
        return json.dumps(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if isinstance(value, str):
            try:
                return json.loads(value)
            except json.JSONDecodeError:
                return value
        return value


class _Tags(TypeDecorator[Any]):
    """``TEXT[]`` on PostgreSQL; a JSON list as text elsewhere."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.ARRAY(Text()))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None or dialect.name == "postgresql":
            return value
        return json.dumps(list(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if isinstance(value, str):
            try:
                loaded = json.loads(value)
            except json.JSONDecodeError:
                return [value]
            return loaded if isinstance(loaded, list) else [value]
        return value


# Ids stay strings in Python whatever the column's type.
_ID: TypeEngine[Any] = Text().with_variant(postgresql.UUID(as_uuid=False), "postgresql")

_META = MetaData()
USERS = Table(
    "users",
    _META,
    Column("id", _ID, primary_key=True),
    Column("identifier", Text, nullable=False, unique=True),
    Column("metadata", _Json, nullable=False),
    Column("createdAt", Text),
)
THREADS = Table(
    "threads",
    _META,
    Column("id", _ID, primary_key=True),
    Column("createdAt", Text),
    Column("name", Text),
    Column("userId", _ID),
    Column("userIdentifier", Text),
    Column("tags", _Tags),
    Column("metadata", _Json),
)
STEPS = Table(
    "steps",
    _META,
    Column("id", _ID, primary_key=True),
    Column("name", Text, nullable=False),
    Column("type", Text, nullable=False),
    Column("threadId", _ID, nullable=False),
    Column("parentId", _ID),
    Column("streaming", Boolean, nullable=False),
    Column("waitForAnswer", Boolean),
    Column("isError", Boolean),
    Column("metadata", _Json),
    Column("tags", _Tags),
    Column("input", Text),
    Column("output", Text),
    Column("createdAt", Text),
    Column("command", Text),
    Column("modes", _Json),
    Column("start", Text),
    Column("end", Text),
    Column("generation", _Json),
    Column("showInput", Text),
    Column("language", Text),
    Column("indent", Integer),
    Column("defaultOpen", Boolean),
    Column("autoCollapse", Boolean),
    Column("icon", Text),
)
ELEMENTS = Table(
    "elements",
    _META,
    Column("id", _ID, primary_key=True),
    Column("threadId", _ID),
    Column("type", Text),
    Column("url", Text),
    Column("chainlitKey", Text),
    Column("name", Text, nullable=False),
    Column("display", Text),
    Column("objectKey", Text),
    Column("size", Text),
    Column("page", Integer),
    Column("language", Text),
    Column("forId", _ID),
    Column("mime", Text),
    Column("props", _Json),
    Column("autoPlay", Boolean),
    Column("playerConfig", _Json),
)
FEEDBACKS = Table(
    "feedbacks",
    _META,
    Column("id", _ID, primary_key=True),
    Column("forId", _ID, nullable=False),
    Column("threadId", _ID, nullable=False),
    Column("value", Integer, nullable=False),
    Column("comment", Text),
)
CHAINLIT_TABLES: tuple[Table, ...] = (USERS, THREADS, STEPS, ELEMENTS, FEEDBACKS)

# Step keys stored as they come; showInput is stored as text ("true", "false", "json").
_STEP_KEYS = tuple(c.name for c in STEPS.columns)


def _show_input(value: Any) -> bool | str | None:
    if value is None:
        return None
    return {"true": True, "false": False}.get(str(value).lower(), str(value))


class SQLAlchemyDataLayer(BaseDataLayer):
    """Chainlit's constructor: an async SQLAlchemy URL and the same options."""

    def __init__(
        self,
        conninfo: str,
        connect_args: dict[str, Any] | None = None,
        ssl_require: bool = False,
        storage_provider: BaseStorageClient | None = None,
        user_thread_limit: int | None = 1000,
        show_logger: bool | None = False,
    ) -> None:
        self._conninfo = conninfo
        self.user_thread_limit = user_thread_limit
        self.show_logger = bool(show_logger)
        args = dict(connect_args or {})
        if ssl_require:
            # As Chainlit: encrypted, without verifying the server's certificate.
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            args["ssl"] = context
        self.engine: AsyncEngine = create_async_engine(conninfo, connect_args=args)
        self.storage_provider = storage_provider
        if storage_provider is None:
            logger.info("SQLAlchemyDataLayer: no storage provider; element files are not copied")
        self._columns: dict[str, frozenset[str]] | None = None
        self._columns_lock = asyncio.Lock()

    # --- plumbing -----------------------------------------------------------

    async def build_debug_url(self) -> str:
        return ""

    async def get_current_timestamp(self) -> str:
        return utc_now_iso()

    async def execute_sql(
        self, query: str, parameters: Mapping[str, Any]
    ) -> list[dict[str, Any]] | int:
        """Run raw SQL in its own transaction: the rows (ids as strings) or the row count."""
        async with self.engine.begin() as conn:
            result = await conn.execute(text(query), dict(parameters))
            if result.returns_rows:
                return [
                    {k: str(v) if isinstance(v, uuid.UUID) else v for k, v in row.items()}
                    for row in result.mappings()
                ]
            return int(result.rowcount)

    async def columns(self) -> dict[str, frozenset[str]]:
        """The columns each Chainlit table has in this database (read once)."""
        if self._columns is not None:
            return self._columns
        async with self._columns_lock:
            if self._columns is None:

                def look(sync_conn: Any) -> dict[str, frozenset[str]]:
                    inspector = inspect(sync_conn)
                    names = set(inspector.get_table_names())
                    missing = [t.name for t in CHAINLIT_TABLES if t.name not in names]
                    if missing:
                        raise RuntimeError(
                            f"SQLAlchemyDataLayer: the database has no {', '.join(missing)} "
                            "table (Chainlit's schema is created by the app, see "
                            "docs/persistence-api.md)"
                        )
                    return {
                        t.name: frozenset(c["name"] for c in inspector.get_columns(t.name))
                        for t in CHAINLIT_TABLES
                    }

                async with self.engine.connect() as conn:
                    self._columns = await conn.run_sync(look)
        return self._columns

    async def _present(self, table: Table, values: Mapping[str, Any]) -> dict[str, Any]:
        have = (await self.columns())[table.name]
        return {k: v for k, v in values.items() if k in have and k in table.c}

    async def _upsert(
        self, conn: AsyncConnection, table: Table, values: Mapping[str, Any], keep: Sequence[str]
    ) -> None:
        """Insert, or update every given column but ``keep`` (and the id)."""
        row = await self._present(table, values)
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(table).values(row)
        changes = {k: statement.excluded[k] for k in row if k != "id" and k not in keep}
        if changes:
            await conn.execute(statement.on_conflict_do_update(index_elements=["id"], set_=changes))
        else:
            await conn.execute(statement.on_conflict_do_nothing(index_elements=["id"]))

    def _select(self, table: Table, have: frozenset[str]) -> list[Column[Any]]:
        return [c for c in table.columns if c.name in have]

    # --- users --------------------------------------------------------------

    async def get_user(self, identifier: str) -> PersistedUser | None:
        have = (await self.columns())["users"]
        async with self.engine.connect() as conn:
            row = (
                (
                    await conn.execute(
                        select(*self._select(USERS, have)).where(USERS.c.identifier == identifier)
                    )
                )
                .mappings()
                .first()
            )
        if row is None:
            return None
        return PersistedUser(
            id=str(row["id"]),
            identifier=row["identifier"],
            createdAt=row.get("createdAt") or "",
            metadata=row.get("metadata") or {},
        )

    async def create_user(self, user: User) -> PersistedUser | None:
        """Create the user, or update its metadata when it exists."""
        async with self.engine.begin() as conn:
            existing = (
                await conn.execute(select(USERS.c.id).where(USERS.c.identifier == user.identifier))
            ).first()
            if existing is None:
                row = await self._present(
                    USERS,
                    {
                        "id": str(uuid.uuid4()),
                        "identifier": user.identifier,
                        "metadata": user.metadata or {},
                        "createdAt": utc_now_iso(),
                    },
                )
                await conn.execute(USERS.insert().values(row))
            else:
                await conn.execute(
                    USERS.update()
                    .where(USERS.c.identifier == user.identifier)
                    .values(metadata=user.metadata or {})
                )
        return await self.get_user(user.identifier)

    # --- threads ------------------------------------------------------------

    async def get_thread_author(self, thread_id: str) -> str:
        async with self.engine.connect() as conn:
            author = (
                await conn.execute(
                    select(THREADS.c.userIdentifier).where(THREADS.c.id == thread_id)
                )
            ).scalar()
        if author is None:
            raise ValueError(f"Author not found for thread_id {thread_id}")
        return str(author)

    async def update_thread(
        self,
        thread_id: str,
        name: str | None = None,
        user_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        tags: list[str] | None = None,
    ) -> None:
        """Create the thread or change what is given; metadata keys set to None are removed."""
        async with self.engine.begin() as conn:
            await self._update_thread(conn, thread_id, name, user_id, metadata, tags)

    async def _update_thread(
        self,
        conn: AsyncConnection,
        thread_id: str,
        name: str | None = None,
        user_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        tags: list[str] | None = None,
    ) -> None:
        current = (
            await conn.execute(select(THREADS.c.metadata).where(THREADS.c.id == thread_id))
        ).first()
        unchanged = metadata is None and name is None and user_id is None and tags is None
        if current is not None and unchanged:
            return
        values: dict[str, Any] = {"id": thread_id}
        if current is None:
            values["createdAt"] = utc_now_iso()
        if metadata is not None or current is None:
            base = dict((current.metadata if current is not None else None) or {})
            for key, value in (metadata or {}).items():
                if value is None:
                    base.pop(key, None)
                else:
                    base[key] = value
            values["metadata"] = base
            if name is None and isinstance(base.get("name"), str) and metadata:
                name = base["name"]
        if name is not None:
            values["name"] = name
        if user_id is not None:
            identifier = (
                await conn.execute(select(USERS.c.identifier).where(USERS.c.id == user_id))
            ).scalar()
            if identifier is None:
                raise ValueError(f"update_thread: no user with id {user_id}")
            values["userId"] = user_id
            values["userIdentifier"] = identifier
        if tags is not None:
            values["tags"] = tags
        await self._upsert(conn, THREADS, values, keep=("createdAt",))

    async def get_thread(self, thread_id: str) -> ThreadDict | None:
        threads = await self._threads([thread_id])
        return threads[0] if threads else None

    async def _threads(self, thread_ids: Sequence[str]) -> list[ThreadDict]:
        """Whole threads (steps with feedback, elements), in the order of ``thread_ids``."""
        if not thread_ids:
            return []
        have = await self.columns()
        async with self.engine.connect() as conn:
            threads = (
                (
                    await conn.execute(
                        select(*self._select(THREADS, have["threads"])).where(
                            THREADS.c.id.in_(thread_ids)
                        )
                    )
                )
                .mappings()
                .all()
            )
            steps = (
                (
                    await conn.execute(
                        select(
                            *self._select(STEPS, have["steps"]),
                            FEEDBACKS.c.id.label("fb_id"),
                            FEEDBACKS.c.value.label("fb_value"),
                            FEEDBACKS.c.comment.label("fb_comment"),
                        )
                        .outerjoin(FEEDBACKS, FEEDBACKS.c.forId == STEPS.c.id)
                        .where(STEPS.c.threadId.in_(thread_ids))
                        .order_by(STEPS.c.createdAt)
                    )
                )
                .mappings()
                .all()
            )
            elements = (
                (
                    await conn.execute(
                        select(*self._select(ELEMENTS, have["elements"])).where(
                            ELEMENTS.c.threadId.in_(thread_ids)
                        )
                    )
                )
                .mappings()
                .all()
            )
        by_id: dict[str, ThreadDict] = {}
        for row in threads:
            by_id[str(row["id"])] = ThreadDict(
                id=str(row["id"]),
                createdAt=row.get("createdAt") or "",
                name=row.get("name"),
                userId=str(row["userId"]) if row.get("userId") else None,
                userIdentifier=row.get("userIdentifier"),
                tags=row.get("tags"),
                metadata=row.get("metadata") or {},
                steps=[],
                elements=[],
            )
        for row in steps:
            thread = by_id.get(str(row["threadId"]))
            if thread is not None:
                thread["steps"].append(self._step(row))
        for row in elements:
            thread = by_id.get(str(row["threadId"]))
            if thread is not None:
                cast(list[ElementDict], thread["elements"]).append(await self._element(row))
        return [by_id[t] for t in thread_ids if t in by_id]

    @staticmethod
    def _step(row: Mapping[str, Any] | RowMapping) -> StepDict:
        step = cast(
            StepDict,
            {
                k: (str(v) if isinstance(v, uuid.UUID) else v)
                for k, v in row.items()
                if k in _STEP_KEYS and v is not None
            },
        )
        step["id"] = str(row["id"])
        step["threadId"] = str(row["threadId"])
        step["metadata"] = row.get("metadata") or {}
        step["showInput"] = _show_input(row.get("showInput"))
        step["input"] = row.get("input") or ""
        step["output"] = row.get("output") or ""
        step["streaming"] = bool(row.get("streaming"))
        step["feedback"] = (
            FeedbackDict(
                forId=step["id"],
                id=str(row["fb_id"]),
                value=1 if row["fb_value"] else 0,
                comment=row.get("fb_comment"),
            )
            if row.get("fb_id") is not None
            else None
        )
        return step

    async def _element(self, row: Mapping[str, Any] | RowMapping) -> ElementDict:
        element = {
            c.name: (
                str(row[c.name]) if isinstance(row.get(c.name), uuid.UUID) else row.get(c.name)
            )
            for c in ELEMENTS.columns
        }
        object_key = element.get("objectKey")
        if self.storage_provider is not None and object_key:
            try:
                element["url"] = await self.storage_provider.get_read_url(object_key=object_key)
            except Exception as exc:
                logger.warning("SQLAlchemyDataLayer: no read URL for %s: %s", object_key, exc)
        element["display"] = element.get("display") or "inline"
        return cast(ElementDict, element)

    async def delete_thread(self, thread_id: str) -> None:
        async with self.engine.begin() as conn:
            keys = (
                await conn.execute(
                    select(ELEMENTS.c.objectKey).where(
                        ELEMENTS.c.threadId == thread_id, ELEMENTS.c.objectKey.is_not(None)
                    )
                )
            ).scalars()
            object_keys = [k for k in keys if k]
            await conn.execute(delete(FEEDBACKS).where(FEEDBACKS.c.threadId == thread_id))
            await conn.execute(delete(ELEMENTS).where(ELEMENTS.c.threadId == thread_id))
            await conn.execute(delete(STEPS).where(STEPS.c.threadId == thread_id))
            await conn.execute(delete(THREADS).where(THREADS.c.id == thread_id))
        if self.storage_provider is not None:
            for key in object_keys:
                await self.storage_provider.delete_file(object_key=key)

    async def list_threads(
        self, pagination: Pagination, filters: ThreadFilter
    ) -> PaginatedResponse[ThreadDict]:
        """The user's threads, latest step first; ``cursor`` is the previous page's last id."""
        if not filters.userId:
            raise ValueError("userId is required")
        t, s, f = THREADS.c, STEPS.c, FEEDBACKS.c
        last = (
            select(func.max(s.createdAt)).where(s.threadId == t.id).scalar_subquery().label("last")
        )
        query = select(t.id, last).where(t.userId == filters.userId)
        if filters.search:
            needle = f"%{filters.search.lower()}%"
            query = query.where(
                select(s.id).where(s.threadId == t.id, func.lower(s.output).like(needle)).exists()
                | func.lower(t.name).like(needle)
            )
        if filters.feedback is not None:
            query = query.where(
                select(f.id).where(f.threadId == t.id, f.value == filters.feedback).exists()
            )
        query = query.order_by(
            last.desc().nulls_last() if self.engine.dialect.name == "postgresql" else last.desc(),
            t.createdAt.desc(),
        )
        if self.user_thread_limit:
            query = query.limit(self.user_thread_limit)
        async with self.engine.connect() as conn:
            ids = [str(row.id) for row in await conn.execute(query)]
        start = ids.index(pagination.cursor) + 1 if pagination.cursor in ids else 0
        end = start + pagination.first
        page = await self._threads(ids[start:end])
        return PaginatedResponse(
            pageInfo=PageInfo(
                hasNextPage=len(ids) > end,
                startCursor=page[0]["id"] if page else None,
                endCursor=page[-1]["id"] if page else None,
            ),
            data=page,
        )

    # --- steps --------------------------------------------------------------

    async def create_step(self, step_dict: StepDict) -> None:
        """Insert or update the step (its thread is created when missing)."""
        values: dict[str, Any] = {
            k: v for k, v in step_dict.items() if k in _STEP_KEYS and v is not None
        }
        if "showInput" in step_dict:
            values["showInput"] = str(step_dict.get("showInput")).lower()
        values.setdefault("metadata", {})
        values.setdefault("streaming", False)
        async with self.engine.begin() as conn:
            await self._update_thread(conn, step_dict["threadId"])
            await self._upsert(conn, STEPS, values, keep=("createdAt",))

    async def update_step(self, step_dict: StepDict) -> None:
        await self.create_step(step_dict)

    async def delete_step(self, step_id: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(delete(FEEDBACKS).where(FEEDBACKS.c.forId == step_id))
            await conn.execute(delete(ELEMENTS).where(ELEMENTS.c.forId == step_id))
            await conn.execute(delete(STEPS).where(STEPS.c.id == step_id))

    async def get_favorite_steps(self, user_id: str) -> list[StepDict]:
        have = (await self.columns())["steps"]
        async with self.engine.connect() as conn:
            rows = (
                (
                    await conn.execute(
                        select(*self._select(STEPS, have))
                        .join(THREADS, THREADS.c.id == STEPS.c.threadId)
                        .where(THREADS.c.userId == user_id)
                        .order_by(STEPS.c.createdAt.desc())
                    )
                )
                .mappings()
                .all()
            )
        favorites = []
        for row in rows:
            if (row.get("metadata") or {}).get("favorite") is True:
                step = self._step({**row, "fb_id": None})
                favorites.append(step)
        return favorites

    # --- feedback -----------------------------------------------------------

    async def upsert_feedback(self, feedback: Feedback) -> str:
        feedback.id = feedback.id or str(uuid.uuid4())
        values = {k: v for k, v in asdict(feedback).items() if v is not None}
        async with self.engine.begin() as conn:
            await self._upsert(conn, FEEDBACKS, values, keep=())
        return feedback.id

    async def delete_feedback(self, feedback_id: str) -> bool:
        async with self.engine.begin() as conn:
            await conn.execute(delete(FEEDBACKS).where(FEEDBACKS.c.id == feedback_id))
        return True

    # --- elements -----------------------------------------------------------

    async def _content(self, element: Element) -> bytes | str | None:
        if element.content is not None:
            return element.content
        if element.path:
            return await asyncio.to_thread(Path(element.path).read_bytes)
        if element.url and element.url.startswith(("http://", "https://")):
            async with httpx.AsyncClient() as http:
                response = await http.get(element.url)
                response.raise_for_status()
                return response.content
        return None

    async def create_element(self, element: Element) -> None:
        """Record the element; its content is copied to ``storage_provider`` when there is one."""
        thread_id = element.thread_id or current_thread_id()
        if not thread_id:
            raise ValueError(f"element {element.id}: no thread to store it in")
        values: dict[str, Any] = dict(element.to_dict())
        values["threadId"] = thread_id
        if self.storage_provider is not None:
            content = await self._content(element)
            if content is not None:
                async with self.engine.connect() as conn:
                    owner = (
                        await conn.execute(
                            select(THREADS.c.userId).where(THREADS.c.id == thread_id)
                        )
                    ).scalar()
                object_key = f"{owner or 'unknown'}/{element.id}" + (
                    f"/{element.name}" if element.name else ""
                )
                uploaded = await self.storage_provider.upload_file(
                    object_key=object_key,
                    data=content,
                    mime=element.mime or "application/octet-stream",
                    overwrite=True,
                )
                values["url"] = uploaded.get("url")
                values["objectKey"] = uploaded.get("object_key")
        values = {k: v for k, v in values.items() if v is not None}
        async with self.engine.begin() as conn:
            await self._update_thread(conn, thread_id)
            await self._upsert(conn, ELEMENTS, values, keep=())

    async def get_element(self, thread_id: str, element_id: str) -> ElementDict | None:
        have = (await self.columns())["elements"]
        async with self.engine.connect() as conn:
            row = (
                (
                    await conn.execute(
                        select(*self._select(ELEMENTS, have)).where(
                            ELEMENTS.c.threadId == thread_id, ELEMENTS.c.id == element_id
                        )
                    )
                )
                .mappings()
                .first()
            )
        return await self._element(row) if row is not None else None

    async def delete_element(self, element_id: str, thread_id: str | None = None) -> None:
        where = [ELEMENTS.c.id == element_id]
        if thread_id is not None:
            where.append(ELEMENTS.c.threadId == thread_id)
        async with self.engine.begin() as conn:
            object_key = (await conn.execute(select(ELEMENTS.c.objectKey).where(*where))).scalar()
            await conn.execute(delete(ELEMENTS).where(*where))
        if object_key and self.storage_provider is not None:
            await self.storage_provider.delete_file(object_key=object_key)

    async def close(self) -> None:
        if self.storage_provider is not None:
            await self.storage_provider.close()
        await self.engine.dispose()
