"""The persistence service as the worker sees it: threads to resume, files to store and read.

Every call carries a service token naming the session's user, so the
persistence service applies the same ownership rules as for browsers.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator
from email.message import Message as MimeHeader
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import anyio

from switchboard.http_clients import internal_client
from switchboard.internal_auth import mint_service_token
from switchboard.schema.history import StoredFile
from switchboard.schema.ids import internal_path, is_uuid_id
from switchboard.schema.session import UserRef

__all__ = ("PersistenceClient",)

_CHUNK = 64 * 1024


class PersistenceClient:
    def __init__(self, base_url: str, secret: str, timeout: float = 10.0) -> None:
        self._secret = secret
        self._client = internal_client(base_url, timeout=timeout)
        self._downloads = Path(tempfile.mkdtemp(prefix="switchboard-files-"))

    def _headers(self, user: UserRef | None) -> dict[str, str]:
        token = mint_service_token(
            self._secret, service="worker", audience="persistence", user=user
        )
        return {"Authorization": f"Bearer {token}"}

    async def get(self, thread_id: str, user: UserRef | None) -> dict[str, Any] | None:
        """The thread if it exists and ``user`` owns it, else None."""
        response = await self._client.get(
            internal_path("threads", thread_id), headers=self._headers(user)
        )
        if response.status_code == 404:
            return None
        response.raise_for_status()
        thread: dict[str, Any] = response.json()
        return thread

    async def store_file(
        self,
        *,
        user: UserRef | None,
        session_id: str,
        thread_id: str | None,
        name: str,
        mime: str,
        data: bytes | None,
        path: Path | None,
    ) -> StoredFile:
        content: bytes | AsyncIterator[bytes]
        if data is not None:
            content = data
        elif path is not None:
            content = _read_chunks(path)
        else:
            raise ValueError("store_file needs data or a path")
        params = {"name": name, "session_id": session_id}
        if thread_id:
            params["thread_id"] = thread_id
        response = await self._client.post(
            "/files",
            params=params,
            content=content,
            headers={**self._headers(user), "content-type": mime},
        )
        response.raise_for_status()
        return StoredFile.model_validate_json(response.content)

    async def load_file(
        self, *, user: UserRef | None, session_id: str, file_id: str
    ) -> tuple[StoredFile, Path] | None:
        """Download a file the user may read; None when it is not theirs or does not exist.

        The id names the downloaded file on disk too, so only a file id's shape is taken.
        """
        if not is_uuid_id(file_id):
            return None
        target_dir = self._downloads / session_id
        target_dir.mkdir(parents=True, exist_ok=True)
        async with self._client.stream(
            "GET",
            internal_path("files", file_id),
            params={"session_id": session_id},
            headers=self._headers(user),
        ) as response:
            if response.status_code == 404:
                return None
            response.raise_for_status()
            name = _filename(response.headers.get("content-disposition", "")) or file_id
            target = target_dir / file_id
            size = 0
            async with await anyio.open_file(target, "wb") as out:
                async for chunk in response.aiter_bytes(_CHUNK):
                    size += len(chunk)
                    await out.write(chunk)
        mime = response.headers.get("content-type", "application/octet-stream").split(";")[0]
        stored = StoredFile(
            id=file_id, name=name, mime=mime, size=size, objectKey="", sessionId=session_id
        )
        return stored, target

    def forget_session(self, session_id: str) -> None:
        """Drop a finished session's downloads."""
        shutil.rmtree(self._downloads / session_id, ignore_errors=True)

    async def aclose(self) -> None:
        await self._client.aclose()
        shutil.rmtree(self._downloads, ignore_errors=True)


async def _read_chunks(path: Path) -> AsyncIterator[bytes]:
    async with await anyio.open_file(path, "rb") as source:
        while chunk := await source.read(_CHUNK):
            yield chunk


def _filename(disposition: str) -> str | None:
    """``filename*=UTF-8''...`` or ``filename="..."`` from a Content-Disposition header."""
    if not disposition:
        return None
    header = MimeHeader()
    header["content-disposition"] = disposition
    name = header.get_param("filename*", header="content-disposition")
    if isinstance(name, tuple):
        return unquote(name[2])
    if isinstance(name, str):
        return unquote(name.removeprefix("UTF-8''"))
    return header.get_filename()
