"""Objects in a Google Cloud Storage bucket through Google's ``google-cloud-storage`` client.

The client is synchronous, so each call runs in a worker thread. Uploads past
8 MiB are resumable uploads sent in parts of ``PART_SIZE``, so a big file is never
held in memory whole; reads fetch ranges of the object generation found when the
read began, so a replacement meanwhile cannot mix two versions in one download.

Every call has a 5 s connect timeout and retries, for 3 s at most, only answers
saying the server is busy (429, 5xx): a refused connection fails at once, so the
spool in front of this backend (``spool.py``) takes over quickly;
:func:`unreachable` tells such failures from answers about the request itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from google.api_core import exceptions as api
from google.api_core.client_options import ClientOptions
from google.api_core.retry import Retry, if_exception_type
from google.auth.credentials import AnonymousCredentials, Credentials
from google.auth.exceptions import TransportError as AuthTransportError
from google.cloud import storage
from google.oauth2 import service_account

from switchboard_persistence.errors import StorageUnavailable
from switchboard_persistence.storage.base import CHUNK_SIZE, ObjectNotFound, check_key

__all__ = ("PART_SIZE", "GcsConfig", "GcsStorage", "unreachable")

# Part size of resumable uploads (GCS wants a multiple of 256 KiB).
PART_SIZE = 16 * 1024 * 1024
# One ranged request while streaming an object out, handed on in CHUNK_SIZE pieces.
READ_SIZE = 4 * 1024 * 1024
CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 300.0
_TIMEOUT = (CONNECT_TIMEOUT_S, READ_TIMEOUT_S)
_BUSY = (
    api.TooManyRequests,
    api.InternalServerError,
    api.BadGateway,
    api.ServiceUnavailable,
    api.GatewayTimeout,
)
_RETRY = Retry(
    predicate=if_exception_type(*_BUSY), initial=0.2, maximum=1.0, multiplier=2.0, timeout=3.0
)
_SCOPES = ("https://www.googleapis.com/auth/devstorage.read_write",)
# The project a client without credentials names (emulators ignore it).
_ANONYMOUS_PROJECT = "switchboard"


def unreachable(exc: BaseException) -> bool:
    """The server did not answer, or answered busy (429, 5xx): an outage, not a bad request."""
    if isinstance(exc, AuthTransportError | OSError):
        return True  # refused, reset, timed out (requests' errors are OSErrors)
    if isinstance(exc, api.RetryError):
        return exc.cause is not None and unreachable(exc.cause)
    if isinstance(exc, api.GoogleAPICallError):
        code = exc.code
        return isinstance(code, int) and (code >= 500 or code == 429)
    response = getattr(exc, "response", None)  # an upload's InvalidResponse
    status = getattr(response, "status_code", None)
    return isinstance(status, int) and status >= 500


@dataclass(frozen=True, slots=True)
class GcsConfig:
    bucket: str
    project: str | None = None
    endpoint: str | None = None  # a URL (an emulator); unset: Google's
    credentials_file: Path | None = None  # a service-account key; unset: the environment's
    anonymous: bool = False  # no credentials at all (emulators)


def make_client(config: GcsConfig) -> storage.Client:
    """A client for the configured endpoint with the configured credentials."""
    options = ClientOptions(api_endpoint=config.endpoint) if config.endpoint else None
    credentials: Credentials | None = None
    project = config.project
    if config.anonymous:
        credentials = AnonymousCredentials()  # type: ignore[no-untyped-call,unused-ignore]
        project = project or _ANONYMOUS_PROJECT
    elif config.credentials_file is not None:
        key = service_account.Credentials.from_service_account_file(  # type: ignore[no-untyped-call,unused-ignore]
            str(config.credentials_file), scopes=_SCOPES
        )
        credentials = key
        project = project or key.project_id
    return storage.Client(project=project, credentials=credentials, client_options=options)


class GcsStorage:
    """An :class:`ObjectStorage` in one GCS bucket."""

    def __init__(self, config: GcsConfig, client: storage.Client | None = None) -> None:
        self.client = client or make_client(config)
        self.bucket_name = config.bucket
        self.bucket = self.client.bucket(config.bucket)

    async def start(self) -> None:
        """Create the bucket when it is missing (several replicas may race: that is fine)."""
        found = await asyncio.to_thread(
            self.client.lookup_bucket, self.bucket_name, timeout=_TIMEOUT, retry=_RETRY
        )
        if found is not None:
            return
        with contextlib.suppress(api.Conflict):  # another replica made it first
            await asyncio.to_thread(
                self.client.create_bucket, self.bucket_name, timeout=_TIMEOUT, retry=_RETRY
            )

    async def put(self, key: str, data: IO[bytes], size: int, mime: str) -> None:
        """Upload; a bucket that has gone (a server restarted empty) is created again."""
        check_key(key)
        start = data.tell()
        try:
            await asyncio.to_thread(self._upload, key, data, size, mime)
        except api.NotFound:
            await self.start()
            data.seek(start)
            await asyncio.to_thread(self._upload, key, data, size, mime)

    def _upload(self, key: str, data: IO[bytes], size: int, mime: str) -> None:
        blob = self.bucket.blob(key, chunk_size=PART_SIZE)
        blob.upload_from_file(
            _Window(data, size), size=size, content_type=mime, timeout=_TIMEOUT, retry=_RETRY
        )

    async def open(self, key: str) -> AsyncIterator[bytes]:
        blob = await asyncio.to_thread(
            self.bucket.get_blob, check_key(key), timeout=_TIMEOUT, retry=_RETRY
        )
        if blob is None:
            raise ObjectNotFound(key)
        return _chunks(blob)

    async def delete(self, key: str) -> None:
        with contextlib.suppress(api.NotFound):  # already gone
            await asyncio.to_thread(
                self.bucket.delete_blob, check_key(key), timeout=_TIMEOUT, retry=_RETRY
            )

    async def exists(self, key: str) -> bool:
        blob = self.bucket.blob(check_key(key))
        found: bool = await asyncio.to_thread(blob.exists, timeout=_TIMEOUT, retry=_RETRY)
        return found

    async def close(self) -> None:
        await asyncio.to_thread(self.client.close)


class _Window(io.RawIOBase):
    """The next ``size`` bytes of a stream, as a stream of their own starting at 0.

    Resumable uploads insist on a stream at position 0 and seek back within it to
    resend a part; a spooled file's data starts after its header.
    """

    def __init__(self, inner: IO[bytes], size: int) -> None:
        super().__init__()
        self._inner = inner
        self._start = inner.tell()
        self._size = size

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._inner.tell() - self._start

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.tell(), io.SEEK_END: self._size}[whence]
        target = min(max(base + offset, 0), self._size)
        self._inner.seek(self._start + target)
        return target

    def read(self, n: int = -1) -> bytes:
        left = self._size - self.tell()
        return self._inner.read(left if n is None or n < 0 else min(n, left))

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _range(blob: Any, start: int, end: int) -> bytes:
    """Bytes ``start`` to ``end`` inclusive of the blob's generation, as stored (no transcoding)."""
    data: bytes = blob.download_as_bytes(
        start=start, end=end, raw_download=True, checksum=None, timeout=_TIMEOUT, retry=_RETRY
    )
    return data


async def _chunks(blob: Any) -> AsyncIterator[bytes]:
    size: int = blob.size or 0
    position = 0
    while position < size:
        end = min(position + READ_SIZE, size) - 1
        data = await asyncio.to_thread(_range, blob, position, end)
        if not data:  # replaced or deleted while being read
            raise StorageUnavailable(f"GCS object {blob.name} ended at byte {position} of {size}")
        for offset in range(0, len(data), CHUNK_SIZE):
            yield data[offset : offset + CHUNK_SIZE]
        position += len(data)
