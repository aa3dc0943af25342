"""Chainlit's ``SQLAlchemyDataLayer``: conversations in Chainlit's documented SQL schema.

The tables are the ones Chainlit documents and leaves to the app to create
(:mod:`switchboard.data.chainlit_tables`), so a database Chainlit 2.12 filled is used
as it is and Chainlit reads back what this class writes. PostgreSQL (asyncpg:
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
import ssl
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any, cast

try:
    from sqlalchemy import Select, Table, delete, select, text
    from sqlalchemy.engine import RowMapping
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "SQLAlchemyDataLayer needs SQLAlchemy: pip install 'switchboard[sql]'"
    ) from exc

from switchboard.data import sql_queries, sql_rows
from switchboard.data.base import BaseDataLayer
from switchboard.data.chainlit_tables import LAYER_TABLES
from switchboard.data.element_uploads import upload_content
from switchboard.data.storage_clients.base import BaseStorageClient
from switchboard.data.thread_pages import listing_owner, split_page, thread_page
from switchboard.data.utils import current_thread_id
from switchboard.logger import logger
from switchboard.schema.steps import utc_now_iso
from switchboard.sdk.dicts import ElementDict, StepDict, ThreadDict
from switchboard.sdk.element import Element
from switchboard.sdk.pagination import PaginatedResponse, Pagination, ThreadFilter
from switchboard.sdk.types import Feedback
from switchboard.sdk.user import PersistedUser, User

__all__ = ("CHAINLIT_TABLES", "SQLAlchemyDataLayer")

USERS, THREADS, STEPS, ELEMENTS, FEEDBACKS = LAYER_TABLES
CHAINLIT_TABLES: tuple[Table, ...] = tuple(LAYER_TABLES)


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
        self._columns: sql_queries.Columns | None = None
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
                return [sql_rows.plain_ids(row) for row in result.mappings()]
            return int(result.rowcount)

    async def columns(self) -> dict[str, frozenset[str]]:
        """The columns each Chainlit table has in this database (read once)."""
        if self._columns is not None:
            return self._columns
        async with self._columns_lock:
            if self._columns is None:
                async with self.engine.connect() as conn:
                    self._columns = await conn.run_sync(sql_queries.read_columns)
        return self._columns

    async def _present(self, table: Table, values: Mapping[str, Any]) -> dict[str, Any]:
        """The values of the table's columns this database has."""
        have = (await self.columns())[table.name]
        return {k: v for k, v in values.items() if k in have and k in table.c}

    async def _upsert(
        self, conn: AsyncConnection, table: Table, values: Mapping[str, Any], keep: Sequence[str]
    ) -> None:
        """Insert, or update every given column but ``keep`` (and the id)."""
        row = await self._present(table, values)
        await conn.execute(sql_queries.upsert(self.engine.dialect.name, table, row, keep))

    async def _one(self, table: Table, *where: Any) -> RowMapping | None:
        """The first row of ``table`` matching ``where`` (the columns the database has)."""
        have = (await self.columns())[table.name]
        async with self.engine.connect() as conn:
            result = await conn.execute(select(*sql_queries.present(table, have)).where(*where))
            return result.mappings().first()

    async def _scalar(self, statement: Select[Any]) -> Any:
        """The first column of the first row, outside any transaction."""
        async with self.engine.connect() as conn:
            return (await conn.execute(statement)).scalar()

    # --- users --------------------------------------------------------------

    async def get_user(self, identifier: str) -> PersistedUser | None:
        row = await self._one(USERS, USERS.c.identifier == identifier)
        return sql_rows.user_from_row(row) if row is not None else None

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
        author = await self._scalar(
            select(THREADS.c.userIdentifier).where(THREADS.c.id == thread_id)
        )
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
            (await conn.execute(select(THREADS.c.metadata).where(THREADS.c.id == thread_id)))
            .mappings()
            .first()
        )
        unchanged = metadata is None and name is None and user_id is None and tags is None
        if current is not None and unchanged:
            return
        values = sql_rows.thread_values(thread_id, current, name, metadata, tags)
        if user_id is not None:
            identifier = (
                await conn.execute(select(USERS.c.identifier).where(USERS.c.id == user_id))
            ).scalar()
            if identifier is None:
                raise ValueError(f"update_thread: no user with id {user_id}")
            values["userId"] = user_id
            values["userIdentifier"] = identifier
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
            threads, steps, elements = await sql_queries.thread_parts(conn, thread_ids, have)
        by_id = {str(row["id"]): sql_rows.thread_from_row(row) for row in threads}
        for row in steps:
            thread = by_id.get(str(row["threadId"]))
            if thread is not None:
                thread["steps"].append(sql_rows.step_from_row(row))
        for row in elements:
            thread = by_id.get(str(row["threadId"]))
            if thread is not None:
                cast(list[ElementDict], thread["elements"]).append(await self._element(row))
        return [by_id[t] for t in thread_ids if t in by_id]

    async def _element(self, row: Mapping[str, Any] | RowMapping) -> ElementDict:
        """The element, with a read URL from the storage provider when it stored the file."""
        element = sql_rows.element_from_row(row)
        object_key = element.get("objectKey")
        if self.storage_provider is not None and object_key:
            try:
                element["url"] = await self.storage_provider.get_read_url(object_key=object_key)
            except Exception as exc:
                logger.warning("SQLAlchemyDataLayer: no read URL for %s: %s", object_key, exc)
        return cast(ElementDict, element)

    async def delete_thread(self, thread_id: str) -> None:
        async with self.engine.begin() as conn:
            object_keys = await sql_queries.delete_thread_rows(conn, thread_id)
        if self.storage_provider is not None:
            for key in object_keys:
                await self.storage_provider.delete_file(object_key=key)

    async def list_threads(
        self, pagination: Pagination, filters: ThreadFilter
    ) -> PaginatedResponse[ThreadDict]:
        """The user's threads, latest step first; ``cursor`` is the previous page's last id."""
        query = sql_queries.thread_ids_query(
            listing_owner(filters, "userId is required"),
            filters.search,
            filters.feedback,
            dialect_name=self.engine.dialect.name,
            limit=self.user_thread_limit,
        )
        async with self.engine.connect() as conn:
            ids = [str(row.id) for row in await conn.execute(query)]
        # An unknown cursor (a thread deleted since) starts over from the first page.
        start = ids.index(pagination.cursor) + 1 if pagination.cursor in ids else 0
        page_ids, more = split_page(ids[start:], pagination.first)
        page = await self._threads(page_ids)
        # The page's own first and last ids: a thread deleted since is skipped.
        first, last = (page[0]["id"], page[-1]["id"]) if page else (None, None)
        return thread_page(page, more=more, start=first, end=last)

    # --- steps --------------------------------------------------------------

    async def create_step(self, step_dict: StepDict) -> None:
        """Insert or update the step (its thread is created when missing)."""
        values = sql_rows.step_values(step_dict)
        async with self.engine.begin() as conn:
            await self._update_thread(conn, step_dict["threadId"])
            await self._upsert(conn, STEPS, values, keep=("createdAt",))

    async def update_step(self, step_dict: StepDict) -> None:
        await self.create_step(step_dict)

    async def delete_step(self, step_id: str) -> None:
        async with self.engine.begin() as conn:
            await sql_queries.delete_step_rows(conn, step_id)

    async def get_favorite_steps(self, user_id: str) -> list[StepDict]:
        have = (await self.columns())["steps"]
        async with self.engine.connect() as conn:
            rows = await sql_queries.favorite_step_rows(conn, user_id, have)
        return [sql_rows.step_from_row({**row, "fb_id": None}) for row in rows]

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

    async def create_element(self, element: Element) -> None:
        """Record the element; its content is copied to ``storage_provider`` when there is one."""
        thread_id = element.thread_id or current_thread_id()
        if not thread_id:
            raise ValueError(f"element {element.id}: no thread to store it in")
        values: dict[str, Any] = dict(element.to_dict())
        values["threadId"] = thread_id

        async def object_key() -> str:
            owner = await self._scalar(select(THREADS.c.userId).where(THREADS.c.id == thread_id))
            return f"{owner or 'unknown'}/{element.id}" + (
                f"/{element.name}" if element.name else ""
            )

        values.update(await upload_content(self.storage_provider, element, object_key))
        values = {k: v for k, v in values.items() if v is not None}
        async with self.engine.begin() as conn:
            await self._update_thread(conn, thread_id)
            await self._upsert(conn, ELEMENTS, values, keep=())

    async def get_element(self, thread_id: str, element_id: str) -> ElementDict | None:
        row = await self._one(
            ELEMENTS, ELEMENTS.c.threadId == thread_id, ELEMENTS.c.id == element_id
        )
        return await self._element(row) if row is not None else None

    async def delete_element(self, element_id: str, thread_id: str | None = None) -> None:
        async with self.engine.begin() as conn:
            object_key = await sql_queries.delete_element_row(conn, element_id, thread_id)
        if object_key and self.storage_provider is not None:
            await self.storage_provider.delete_file(object_key=object_key)

    async def close(self) -> None:
        if self.storage_provider is not None:
            await self.storage_provider.close()
        await self.engine.dispose()
