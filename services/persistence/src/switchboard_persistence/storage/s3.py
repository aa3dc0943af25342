"""Objects in an S3-compatible bucket (AWS S3, MinIO, ...) through the ``minio`` client.

The client is synchronous, so each call runs in a worker thread. Uploads give
the exact length and a part size, so big files go up as a multipart upload
without being held in memory; reads stream the body in chunks.

An unreachable server fails a call within seconds (a refused connection at once,
a connect timeout of 5 s, two retries of dropped connections and 5xx), so the spool in front of this backend (``spool.py``) takes over quickly;
:func:`unreachable` tells such failures from answers about the request itself.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import IO, Any, BinaryIO, cast
from urllib.parse import urlsplit

import certifi
import urllib3
from minio import Minio
from minio.error import InvalidResponseError, S3Error, ServerError
from urllib3.exceptions import HTTPError as TransportError

from switchboard_persistence.storage.base import CHUNK_SIZE, ObjectNotFound, check_key

__all__ = ("PART_SIZE", "S3Config", "S3Storage", "unreachable")

# Multipart threshold and part size (S3 needs at least 5 MiB per part but the last).
PART_SIZE = 16 * 1024 * 1024
_MISSING = frozenset({"NoSuchKey", "NoSuchObject", "NotFound"})
_BUCKET_RACE = frozenset({"BucketAlreadyOwnedByYou", "BucketAlreadyExists"})
# Connecting is quick or the server is away; reading a large part may take a while.
CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 300.0
_RETRIES = 2


def unreachable(exc: BaseException) -> bool:
    """The server did not answer, or answered with a 5xx: an outage, not a bad request."""
    if isinstance(exc, TransportError | OSError):
        return True  # refused, reset, timed out, retries exhausted on 5xx
    if isinstance(exc, S3Error):
        return exc.response.status >= 500
    if isinstance(exc, ServerError):
        return exc.status_code >= 500
    if isinstance(exc, InvalidResponseError):
        status = getattr(exc, "_code", None)  # a proxy's HTML error page
        return isinstance(status, int) and status >= 500
    return False


def _http_client() -> urllib3.PoolManager:
    """minio's own defaults, but failing fast on a server that is away."""
    return urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=CONNECT_TIMEOUT_S, read=READ_TIMEOUT_S),
        maxsize=10,
        cert_reqs="CERT_REQUIRED",
        ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
        # A refused connection fails at once (the spool takes over); a dropped one or a 5xx
        # is retried.
        retries=urllib3.Retry(
            total=_RETRIES,
            connect=0,
            backoff_factor=0.2,
            status_forcelist=[500, 502, 503, 504],
        ),
    )


@dataclass(frozen=True, slots=True)
class S3Config:
    endpoint: str
    bucket: str
    access_key: str | None = None
    secret_key: str | None = None
    region: str | None = None
    secure: bool = True


def _endpoint(config: S3Config) -> tuple[str, bool]:
    """``host[:port]`` and TLS flag; a URL's scheme decides TLS by itself."""
    if "://" not in config.endpoint:
        return config.endpoint.rstrip("/"), config.secure
    parts = urlsplit(config.endpoint)
    return parts.netloc, parts.scheme == "https"


class S3Storage:
    """An :class:`ObjectStorage` in one bucket."""

    def __init__(self, config: S3Config) -> None:
        host, secure = _endpoint(config)
        self.bucket = config.bucket
        self.region = config.region
        self.client = Minio(
            host,
            access_key=config.access_key,
            secret_key=config.secret_key,
            region=config.region,
            secure=secure,
            http_client=_http_client(),
        )

    async def start(self) -> None:
        """Create the bucket when it is missing (several replicas may race: that is fine)."""
        if await asyncio.to_thread(self.client.bucket_exists, self.bucket):
            return
        try:
            await asyncio.to_thread(self.client.make_bucket, self.bucket, self.region)
        except S3Error as exc:
            if exc.code not in _BUCKET_RACE:
                raise

    async def put(self, key: str, data: IO[bytes], size: int, mime: str) -> None:
        """Upload; a bucket that has gone (a server restarted empty) is created again."""
        start = data.tell()
        try:
            await self._put(key, data, size, mime)
        except S3Error as exc:
            if exc.code != "NoSuchBucket":
                raise
            await self.start()
            data.seek(start)
            await self._put(key, data, size, mime)

    async def _put(self, key: str, data: IO[bytes], size: int, mime: str) -> None:
        await asyncio.to_thread(
            self.client.put_object,
            self.bucket,
            check_key(key),
            cast(BinaryIO, data),  # minio only calls read()
            size,
            content_type=mime,
            part_size=PART_SIZE,
        )

    async def open(self, key: str) -> AsyncIterator[bytes]:
        try:
            response = await asyncio.to_thread(self.client.get_object, self.bucket, check_key(key))
        except S3Error as exc:
            if exc.code in _MISSING:
                raise ObjectNotFound(key) from exc
            raise
        return _chunks(response)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.client.remove_object, self.bucket, check_key(key))

    async def exists(self, key: str) -> bool:
        try:
            await asyncio.to_thread(self.client.stat_object, self.bucket, check_key(key))
        except S3Error as exc:
            if exc.code in _MISSING:
                return False
            raise
        return True

    async def close(self) -> None:
        return None


_END = object()


def _next(chunks: Iterator[bytes]) -> Any:
    return next(chunks, _END)


async def _chunks(response: Any) -> AsyncIterator[bytes]:
    chunks: Iterator[bytes] = response.stream(CHUNK_SIZE)
    try:
        while (chunk := await asyncio.to_thread(_next, chunks)) is not _END:
            yield chunk
    finally:
        response.close()
        response.release_conn()
