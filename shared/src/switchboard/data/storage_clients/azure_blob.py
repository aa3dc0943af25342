"""Chainlit's ``AzureBlobStorageClient``: an app's own files in an Azure Blob container.

Built from the account's name and key, as on Chainlit; ``account_url`` (an addition)
points it at another endpoint, such as an emulator. Read URLs carry a read-only SAS
made locally with the key. Uses the SDK's asyncio client.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from switchboard.data.storage_clients.base import BaseStorageClient, storage_expiry_time
from switchboard.logger import logger

try:
    from azure.core.exceptions import AzureError, ResourceExistsError, ResourceNotFoundError
    from azure.storage.blob import BlobSasPermissions, ContentSettings, generate_blob_sas
    from azure.storage.blob.aio import BlobServiceClient
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "AzureBlobStorageClient needs azure-storage-blob: pip install 'switchboard[azure]'"
    ) from exc

__all__ = ("AzureBlobStorageClient",)


class AzureBlobStorageClient(BaseStorageClient):
    """Files in ``container_name``; read URLs are valid ``STORAGE_EXPIRY_TIME`` seconds."""

    def __init__(
        self,
        container_name: str,
        storage_account: str,
        storage_key: str,
        *,
        account_url: str | None = None,
    ) -> None:
        self.container_name = container_name
        self.storage_account = storage_account
        self.storage_key = storage_key
        url = account_url or f"https://{storage_account}.blob.core.windows.net"
        self.service_client = BlobServiceClient(
            url, credential={"account_name": storage_account, "account_key": storage_key}
        )
        self.container_client = self.service_client.get_container_client(container_name)

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
            await blob.upload_blob(body, overwrite=overwrite, content_settings=settings)
            properties = await blob.get_blob_properties()
        except ResourceExistsError as exc:
            raise FileExistsError(f"{blob.url} exists (overwrite=False)") from exc
        except AzureError as exc:
            raise OSError(f"upload to {blob.url} failed: {exc}") from exc
        return {
            "object_key": object_key,
            "url": blob.url,
            "path": object_key,
            "size": properties.size,
            "last_modified": properties.last_modified,
            "etag": properties.etag,
            "content_type": properties.content_settings.content_type,
        }

    async def delete_file(self, object_key: str) -> bool:
        """True once the blob is gone (a missing one included); False, logged, on failure."""
        try:
            await self.container_client.delete_blob(object_key)
        except ResourceNotFoundError:
            return True
        except Exception as exc:
            logger.warning(
                "AzureBlobStorageClient: deleting %s/%s failed: %s",
                self.container_name,
                object_key,
                exc,
            )
            return False
        return True

    async def get_read_url(self, object_key: str) -> str:
        start = datetime.now(UTC)
        sas = generate_blob_sas(
            account_name=self.storage_account,
            container_name=self.container_name,
            blob_name=object_key,
            account_key=self.storage_key,
            permission=BlobSasPermissions(read=True),
            start=start - timedelta(minutes=5),  # tolerate clock skew
            expiry=start + timedelta(seconds=storage_expiry_time),
        )
        return f"{self.container_client.get_blob_client(object_key).url}?{sas}"

    async def close(self) -> None:
        await self.service_client.close()
