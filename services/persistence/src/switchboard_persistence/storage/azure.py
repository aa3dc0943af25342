"""Objects in an Azure Blob Storage container through the SDK's asyncio client.

Works with ADLS Gen2 accounts too: they serve the same Blob API on their blob
endpoint. Uploads give the exact length; past ``PART_SIZE`` the SDK stages blocks
of that size and commits them, reading the file in a worker thread so the loop
never waits on disk. Reads go through the SDK's downloader, which pins the
object's ETag, so a replacement meanwhile fails the read instead of mixing versions.

An unreachable server fails a call within seconds (a refused connection at once,
a 5 s connect timeout, two quick retries of dropped connections and 5xx), so the
spool in front of this backend (``spool.py``) takes over quickly;
:func:`unreachable` tells such failures from answers about the request itself.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import IO, Any

from azure.core.exceptions import (
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.storage.blob import ContentSettings
from azure.storage.blob.aio import ContainerClient, LinearRetry

from switchboard.config import ConfigError
from switchboard_persistence.storage.base import CHUNK_SIZE, ObjectNotFound, check_key

__all__ = ("PART_SIZE", "AzureConfig", "AzureStorage", "unreachable")

# Upload in one request up to this size, else in blocks of it; read in ranges of READ_SIZE.
PART_SIZE = 16 * 1024 * 1024
READ_SIZE = 4 * 1024 * 1024
CONNECT_TIMEOUT_S = 5
READ_TIMEOUT_S = 300
_RETRIES = 2
_BACKOFF_S = 0.2
_CONTAINER_GONE = "ContainerNotFound"


def unreachable(exc: BaseException) -> bool:
    """The server did not answer, or answered with a 5xx: an outage, not a bad request."""
    if isinstance(exc, ServiceRequestError | ServiceResponseError | OSError):
        return True  # refused, reset, timed out
    if isinstance(exc, HttpResponseError):
        status = exc.status_code
        return isinstance(status, int) and status >= 500
    return False


@dataclass(frozen=True, slots=True)
class AzureConfig:
    container: str
    connection_string: str | None = None
    account_url: str | None = None  # https://{account}.blob.core.windows.net, or an emulator's
    account_name: str | None = None
    account_key: str | None = None
    sas_token: str | None = None


def _credential(config: AzureConfig) -> Any:
    if config.account_key:
        if not config.account_name:
            raise ConfigError("SWITCHBOARD_AZURE_ACCOUNT_NAME is required with an account key")
        return {"account_name": config.account_name, "account_key": config.account_key}
    if config.sas_token:
        return config.sas_token
    raise ConfigError(
        "the azure storage backend needs SWITCHBOARD_AZURE_CONNECTION_STRING, or "
        "SWITCHBOARD_AZURE_ACCOUNT_URL with SWITCHBOARD_AZURE_ACCOUNT_KEY or _SAS_TOKEN"
    )


class _QuickRetry(LinearRetry):
    """Retries a dropped connection or a 5xx after 0.2 s (the SDK waits 15 s by default)."""

    def get_backoff_time(self, settings: dict[str, Any]) -> float:
        return _BACKOFF_S


def make_container_client(config: AzureConfig) -> ContainerClient:
    """A container client failing fast on a server that is away."""
    options: dict[str, Any] = {
        "retry_policy": _QuickRetry(retry_total=_RETRIES),
        "connection_timeout": CONNECT_TIMEOUT_S,
        "read_timeout": READ_TIMEOUT_S,
        "max_single_put_size": PART_SIZE,
        "max_block_size": PART_SIZE,
        "max_single_get_size": READ_SIZE,
        "max_chunk_get_size": READ_SIZE,
    }
    if config.connection_string:
        return ContainerClient.from_connection_string(
            config.connection_string, config.container, **options
        )
    if not config.account_url:
        url = f"https://{config.account_name}.blob.core.windows.net" if config.account_name else ""
    else:
        url = config.account_url
    if not url:
        raise ConfigError(
            "SWITCHBOARD_AZURE_ACCOUNT_URL or _ACCOUNT_NAME is required for the azure backend"
        )
    return ContainerClient(url, config.container, credential=_credential(config), **options)


class AzureStorage:
    """An :class:`ObjectStorage` in one blob container."""

    def __init__(self, config: AzureConfig) -> None:
        self.container = make_container_client(config)

    async def start(self) -> None:
        """Create the container when it is missing (several replicas may race: that is fine)."""
        if await self.container.exists():
            return
        with contextlib.suppress(ResourceExistsError):  # another replica made it first
            await self.container.create_container()

    async def put(self, key: str, data: IO[bytes], size: int, mime: str) -> None:
        """Upload; a container that has gone (a server restarted empty) is created again."""
        check_key(key)
        start = data.tell()
        try:
            await self._put(key, data, size, mime)
        except ResourceNotFoundError as exc:
            if getattr(exc, "error_code", None) != _CONTAINER_GONE:
                raise
            await self.start()
            data.seek(start)
            await self._put(key, data, size, mime)

    async def _put(self, key: str, data: IO[bytes], size: int, mime: str) -> None:
        await self.container.upload_blob(
            key,
            _read_in_thread(data, size),
            length=size,
            overwrite=True,
            content_settings=ContentSettings(content_type=mime),
            max_concurrency=1,
        )

    async def open(self, key: str) -> AsyncIterator[bytes]:
        try:
            downloader = await self.container.download_blob(check_key(key), max_concurrency=1)
        except ResourceNotFoundError as exc:
            raise ObjectNotFound(key) from exc
        return _chunks(downloader)

    async def delete(self, key: str) -> None:
        with contextlib.suppress(ResourceNotFoundError):  # already gone
            await self.container.delete_blob(check_key(key))

    async def exists(self, key: str) -> bool:
        found: bool = await self.container.get_blob_client(check_key(key)).exists()
        return found

    async def close(self) -> None:
        await self.container.close()


async def _read_in_thread(data: IO[bytes], size: int) -> AsyncIterator[bytes]:
    """``size`` bytes of ``data`` in pieces read off the event loop."""
    left = size
    while left > 0:
        piece = await asyncio.to_thread(data.read, min(left, READ_SIZE))
        if not piece:
            raise ValueError(f"the upload ended {left} bytes short of its declared size")
        left -= len(piece)
        yield piece


async def _chunks(downloader: Any) -> AsyncIterator[bytes]:
    async for data in downloader.chunks():
        for offset in range(0, len(data), CHUNK_SIZE):
            yield data[offset : offset + CHUNK_SIZE]
