"""Objects in an S3-compatible bucket (AWS S3, MinIO, ...) through the ``minio`` client.

The client is synchronous, so each call runs in a worker thread. Uploads give
the exact length and a part size, so big files go up as a multipart upload
without being held in memory; reads stream the body in chunks.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import IO, Any, BinaryIO, cast
from urllib.parse import urlsplit

from minio import Minio
from minio.error import S3Error

from switchboard_persistence.storage.base import CHUNK_SIZE, ObjectNotFound, check_key

__all__ = ("PART_SIZE", "S3Config", "S3Storage")

# Multipart threshold and part size (S3 needs at least 5 MiB per part but the last).
PART_SIZE = 16 * 1024 * 1024
_MISSING = frozenset({"NoSuchKey", "NoSuchObject", "NotFound"})
_BUCKET_RACE = frozenset({"BucketAlreadyOwnedByYou", "BucketAlreadyExists"})


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
