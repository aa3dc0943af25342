"""Objects as files under one folder: the embedded default, no server needed.

Writes go to a temporary file beside the target and are renamed into place, so
a reader never sees half an object. Keys are validated and the resolved path
must stay under the root.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO

from switchboard_persistence.storage.base import (
    CHUNK_SIZE,
    InvalidObjectKey,
    ObjectNotFound,
    check_key,
)

__all__ = ("LocalStorage", "file_chunks", "object_path")


def object_path(root: Path, key: str) -> Path:
    """Where ``key`` lives under ``root`` (resolved); refused when it would leave the folder."""
    path = (root / check_key(key)).resolve()
    if not path.is_relative_to(root) or path == root:
        raise InvalidObjectKey(f"object key {key!r} leaves the storage folder")
    return path


class LocalStorage:
    """An :class:`ObjectStorage` on local disk."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _path(self, key: str) -> Path:
        return object_path(self.root, key)

    async def start(self) -> None:
        await asyncio.to_thread(self.root.mkdir, parents=True, exist_ok=True)

    async def put(self, key: str, data: IO[bytes], size: int, mime: str) -> None:
        await asyncio.to_thread(self._write, self._path(key), data)

    @staticmethod
    def _write(path: Path, data: IO[bytes]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(data, out, CHUNK_SIZE)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    async def open(self, key: str) -> AsyncIterator[bytes]:
        path = self._path(key)
        try:
            handle = await asyncio.to_thread(path.open, "rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise ObjectNotFound(key) from exc
        return file_chunks(handle)

    async def delete(self, key: str) -> None:
        path = self._path(key)
        with contextlib.suppress(FileNotFoundError):
            await asyncio.to_thread(path.unlink)

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self._path(key).is_file)

    async def close(self) -> None:
        return None


async def file_chunks(handle: IO[bytes]) -> AsyncIterator[bytes]:
    try:
        while chunk := await asyncio.to_thread(handle.read, CHUNK_SIZE):
            yield chunk
    finally:
        await asyncio.to_thread(handle.close)
