"""Chainlit's ``S3StorageClient``: an app's own files in an S3 bucket, through boto3.

The keyword arguments are boto3's (``endpoint_url``, ``aws_access_key_id``,
``region_name``, ...), as on Chainlit. boto3 is synchronous, so each call runs in a
worker thread. Failures raise with the bucket and key, rather than returning ``{}``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from switchboard.data.storage_clients.base import BaseStorageClient, storage_expiry_time
from switchboard.logger import logger

try:
    import boto3
    from botocore.exceptions import ClientError
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "S3StorageClient needs boto3: pip install 'switchboard[s3]' (or boto3)"
    ) from exc

__all__ = ("S3StorageClient",)

_MISSING = frozenset({"404", "NoSuchKey", "NotFound"})


class S3StorageClient(BaseStorageClient):
    """Files under ``bucket``; read URLs are presigned for ``STORAGE_EXPIRY_TIME`` seconds."""

    def __init__(self, bucket: str, **kwargs: Any) -> None:
        self.bucket = bucket
        self.client: Any = boto3.client("s3", **kwargs)

    async def upload_file(
        self,
        object_key: str,
        data: bytes | str,
        mime: str = "application/octet-stream",
        overwrite: bool = True,
        content_disposition: str | None = None,
    ) -> dict[str, Any]:
        body = data.encode() if isinstance(data, str) else data
        extra: dict[str, str] = {"ContentType": mime}
        if content_disposition is not None:
            extra["ContentDisposition"] = content_disposition
        try:
            if not overwrite and await self._exists(object_key):
                raise FileExistsError(f"s3://{self.bucket}/{object_key} exists (overwrite=False)")
            await asyncio.to_thread(
                self.client.put_object, Bucket=self.bucket, Key=object_key, Body=body, **extra
            )
        except ClientError as exc:
            raise OSError(f"upload to s3://{self.bucket}/{object_key} failed: {exc}") from exc
        return {"object_key": object_key, "url": await self.get_read_url(object_key)}

    async def _exists(self, object_key: str) -> bool:
        try:
            await asyncio.to_thread(self.client.head_object, Bucket=self.bucket, Key=object_key)
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code")) in _MISSING:
                return False
            raise
        return True

    async def delete_file(self, object_key: str) -> bool:
        """True once the object is gone (a missing one included); False, logged, on failure."""
        try:
            await asyncio.to_thread(self.client.delete_object, Bucket=self.bucket, Key=object_key)
        except Exception as exc:
            logger.warning(
                "S3StorageClient: deleting s3://%s/%s failed: %s", self.bucket, object_key, exc
            )
            return False
        return True

    async def get_read_url(self, object_key: str) -> str:
        url: str = await asyncio.to_thread(
            self.client.generate_presigned_url,
            "get_object",
            Params={"Bucket": self.bucket, "Key": object_key},
            ExpiresIn=storage_expiry_time,
        )
        return url

    async def close(self) -> None:
        await asyncio.to_thread(self.client.close)
