"""Chainlit's ``AzureStorageClient``: an app's own files in Azure Data Lake Storage Gen2.

Same arguments as on Chainlit: the account URL (``.dfs.`` or ``.blob.`` endpoint), the
container (file system), a credential of any kind the Azure SDK takes (key, SAS,
token credential) and an optional SAS token appended to the URLs handed out. Files go
through the account's Blob API, which ADLS Gen2 serves on the same data; the SDK's
synchronous client runs in worker threads, so sync token credentials keep working.
"""

from __future__ import annotations

import asyncio
from typing import Any

from switchboard.data.storage_clients.base import BaseStorageClient
from switchboard.logger import logger

try:
    from azure.core.exceptions import AzureError, ResourceExistsError, ResourceNotFoundError
    from azure.storage.blob import BlobServiceClient, ContentSettings
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "AzureStorageClient needs azure-storage-blob: pip install 'switchboard[azure]'"
    ) from exc

__all__ = ("AzureStorageClient",)


def blob_endpoint(account_url: str) -> str:
    """The Blob API endpoint of an account named by its Data Lake (dfs) endpoint."""
    return account_url.replace(".dfs.core.", ".blob.core.", 1)


class AzureStorageClient(BaseStorageClient):
    """Files in ``container``; URLs carry ``sas_token`` when one is given."""

    def __init__(
        self, account_url: str, container: str, credential: Any, sas_token: str | None = None
    ) -> None:
        self.service_client = BlobServiceClient(blob_endpoint(account_url), credential=credential)
        self.container_client = self.service_client.get_container_client(container)
        self.sas_token = sas_token

    def _url(self, object_key: str) -> str:
        url: str = self.container_client.get_blob_client(object_key).url
        if not self.sas_token:
            return url
        return f"{url}{self.sas_token if self.sas_token.startswith('?') else '?' + self.sas_token}"

    async def upload_file(
        self,
        object_key: str,
        data: bytes | str,
        mime: str = "application/octet-stream",
        overwrite: bool = True,
        content_disposition: str | None = None,
    ) -> dict[str, Any]:
        blob = self.container_client.get_blob_client(object_key)
        settings = ContentSettings(content_type=mime, content_disposition=content_disposition)
        body = data.encode() if isinstance(data, str) else data
        try:
            await asyncio.to_thread(
                blob.upload_blob, body, overwrite=overwrite, content_settings=settings
            )
        except ResourceExistsError as exc:
            raise FileExistsError(f"{blob.url} exists (overwrite=False)") from exc
        except AzureError as exc:
            raise OSError(f"upload to {blob.url} failed: {exc}") from exc
        return {"object_key": object_key, "url": self._url(object_key)}

    async def delete_file(self, object_key: str) -> bool:
        """True once the file is gone (a missing one included); False, logged, on failure."""
        try:
            await asyncio.to_thread(self.container_client.delete_blob, object_key)
        except ResourceNotFoundError:
            return True
        except Exception as exc:
            logger.warning("AzureStorageClient: deleting %s failed: %s", object_key, exc)
            return False
        return True

    async def get_read_url(self, object_key: str) -> str:
        return self._url(object_key)

    async def close(self) -> None:
        await asyncio.to_thread(self.service_client.close)
