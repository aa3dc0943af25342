"""Uploaded files: their rows, their owners, and their bytes in object storage.

A file belongs to the user who uploaded it; an anonymous upload belongs to
its session, so reading it needs that session id. The bytes are written
first and the row second, so a row always points at a stored object.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from switchboard.schema.history import StoredFile
from switchboard_persistence.apply import delete_objects
from switchboard_persistence.db.sql import FILES, clean
from switchboard_persistence.storage import ObjectNotFound, ObjectStorage, file_key
from switchboard_persistence.stores.base import FileThreads
from switchboard_persistence.uploads import Upload

__all__ = ("FileRecord", "FileStore", "NewFile")

logger = logging.getLogger(__name__)
NAME_MAX = 255


@dataclass(frozen=True, slots=True)
class NewFile:
    """What an upload says about itself (ids already validated by the API)."""

    name: str
    mime: str
    session_id: str
    thread_id: str | None = None
    file_id: str | None = None


@dataclass(frozen=True, slots=True)
class FileRecord:
    id: str
    name: str
    mime: str
    size: int
    object_key: str
    session_id: str | None
    thread_id: str | None
    user_identifier: str | None

    @classmethod
    def of(cls, m: Any) -> FileRecord:
        return cls(
            id=m["id"],
            name=m["name"],
            mime=m["mime"],
            size=m["size"],
            object_key=m["object_key"],
            session_id=m["session_id"],
            thread_id=m["thread_id"],
            user_identifier=m["user_identifier"],
        )

    def stored(self) -> StoredFile:
        return StoredFile(
            id=self.id,
            name=self.name,
            mime=self.mime,
            size=self.size,
            objectKey=self.object_key,
            sessionId=self.session_id,
            threadId=self.thread_id,
            userIdentifier=self.user_identifier,
        )


def _readable(caller: str | None, session_id: str | None) -> Any:
    """A user reads their own files; nobody in particular reads the files of their session."""
    if caller is not None:
        return FILES.c.user_identifier == caller
    if not session_id:
        return FILES.c.id.is_(None)  # matches nothing
    return and_(FILES.c.user_identifier.is_(None), FILES.c.session_id == session_id)


@dataclass(frozen=True, slots=True)
class FileStore:
    """File rows live in Switchboard's own database whatever the storage mode; what they
    need to know of threads and elements, ``threads`` answers."""

    engine: AsyncEngine
    storage: ObjectStorage
    threads: FileThreads

    async def get(
        self, file_id: str, caller: str | None, session_id: str | None
    ) -> FileRecord | None:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(FILES).where(FILES.c.id == file_id, _readable(caller, session_id))
                )
            ).first()
        return FileRecord.of(row._mapping) if row is not None else None

    async def get_shown(self, file_id: str, thread_id: str) -> FileRecord | None:
        """A file of the (live) thread that one of its elements shows.

        All a shared thread's viewer may read: an element names its file by id, and
        that id may name another thread's file, which is never served here.
        """
        if not await self.threads.shows_file(thread_id, file_id):
            return None
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(FILES).where(FILES.c.id == file_id, FILES.c.thread_id == thread_id)
                )
            ).first()
        return FileRecord.of(row._mapping) if row is not None else None

    async def thread_usable(self, thread_id: str, caller: str | None) -> bool:
        """A file may go into a thread that is the caller's or not claimed yet (or not yet stored).

        Steps can reach the database before the thread upsert that names the user.
        """
        return await self.threads.thread_usable(thread_id, caller)

    async def save(self, caller: str | None, new: NewFile, upload: Upload) -> StoredFile | None:
        """Store the bytes then the row; None when ``file_id`` is another owner's file."""
        file_id = new.file_id or str(uuid.uuid4())
        previous: FileRecord | None = None
        async with self.engine.connect() as conn:
            taken = (await conn.execute(select(FILES).where(FILES.c.id == file_id))).first()
        if taken is not None:
            previous = await self.get(file_id, caller, new.session_id)
            if previous is None:
                return None
        # A re-upload keeps the thread the file already belongs to.
        thread_id = new.thread_id or (previous.thread_id if previous is not None else None)
        key = file_key(file_id, thread_id=thread_id, session_id=new.session_id)
        await self.storage.put(key, upload.data, upload.size, new.mime)
        row = {
            "user_identifier": caller,
            "session_id": new.session_id,
            "thread_id": thread_id,
            "name": clean(new.name)[:NAME_MAX],
            "mime": new.mime,
            "size": upload.size,
            "object_key": key,
            "created_at": datetime.now(UTC),
        }
        try:
            async with self.engine.begin() as conn:
                if previous is None:
                    await conn.execute(FILES.insert().values(id=file_id, **row))
                else:
                    await conn.execute(update(FILES).where(FILES.c.id == file_id).values(**row))
        except BaseException:
            if previous is None or previous.object_key != key:
                await delete_objects(self.storage, [key])
            raise
        if previous is not None and previous.object_key != key:
            await delete_objects(self.storage, [previous.object_key])
        return FileRecord.of({"id": file_id, **row}).stored()

    async def read(self, record: FileRecord) -> AsyncIterator[bytes] | None:
        """The stored bytes, or None when the object has gone missing."""
        try:
            return await self.storage.open(record.object_key)
        except ObjectNotFound:
            logger.warning("file row without its object", extra={"file_id": record.id})
            return None

    async def delete(self, file_id: str, caller: str | None, session_id: str | None) -> bool:
        async with self.engine.begin() as conn:
            row = (
                await conn.execute(
                    select(FILES.c.object_key).where(
                        FILES.c.id == file_id, _readable(caller, session_id)
                    )
                )
            ).first()
            if row is None:
                return False
            await conn.execute(delete(FILES).where(FILES.c.id == file_id))
        await delete_objects(self.storage, [row.object_key])
        return True
