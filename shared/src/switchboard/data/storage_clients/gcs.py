"""Chainlit's ``GCSStorageClient``: an app's own files in a Google Cloud Storage bucket.

Built from a service account's email and private key, as on Chainlit (the key as PEM,
or base64 of the PEM as Chainlit 2 expects). Read URLs are V4 signed URLs made
locally with that key. With ``STORAGE_EMULATOR_HOST`` set (Google's variable for an
emulator) requests go there without credentials; the key still signs. The client is
synchronous, so each call runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import os
from datetime import timedelta
from typing import Any

from switchboard.data.storage_clients.base import BaseStorageClient, storage_expiry_time
from switchboard.logger import logger

try:
    from google.api_core import exceptions as google_errors
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage
    from google.oauth2 import service_account
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "GCSStorageClient needs google-cloud-storage: pip install 'switchboard[gcs]'"
    ) from exc

__all__ = ("GCSStorageClient",)

_TOKEN_URI = "https://oauth2.googleapis.com/token"


def _pem(private_key: str) -> str:
    """The PEM text, whether given as is or base64-encoded."""
    if "-----BEGIN" in private_key:
        return private_key.replace("\\n", "\n")
    try:
        return base64.b64decode(private_key, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise ValueError("private_key is neither a PEM key nor base64 of one") from exc


class GCSStorageClient(BaseStorageClient):
    """Files in ``bucket_name``; read URLs are signed for ``STORAGE_EXPIRY_TIME`` seconds."""

    def __init__(self, project_id: str, client_email: str, private_key: str, bucket_name: str):
        self.signer = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call,unused-ignore]
            {
                "type": "service_account",
                "project_id": project_id,
                "private_key": _pem(private_key),
                "client_email": client_email,
                "token_uri": _TOKEN_URI,
            }
        )
        self.emulator = os.environ.get("STORAGE_EMULATOR_HOST") or None
        credentials: Any = self.signer
        if self.emulator:
            credentials = AnonymousCredentials()  # type: ignore[no-untyped-call,unused-ignore]
        self.client = storage.Client(project=project_id, credentials=credentials)
        self.bucket = self.client.bucket(bucket_name)

    async def upload_file(
        self,
        object_key: str,
        data: bytes | str,
        mime: str = "application/octet-stream",
        overwrite: bool = True,
        content_disposition: str | None = None,
    ) -> dict[str, Any]:
        blob = self.bucket.blob(object_key)
        if content_disposition is not None:
            blob.content_disposition = content_disposition
        body = data.encode() if isinstance(data, str) else data
        try:
            await asyncio.to_thread(
                blob.upload_from_string,
                body,
                content_type=mime,
                if_generation_match=None if overwrite else 0,  # 0: only if absent
            )
        except google_errors.PreconditionFailed as exc:
            raise FileExistsError(
                f"gs://{self.bucket.name}/{object_key} exists (overwrite=False)"
            ) from exc
        except google_errors.GoogleAPICallError as exc:
            raise OSError(f"upload to gs://{self.bucket.name}/{object_key} failed: {exc}") from exc
        return {"object_key": object_key, "url": f"gs://{self.bucket.name}/{object_key}"}

    async def delete_file(self, object_key: str) -> bool:
        """True once the object is gone (a missing one included); False, logged, on failure."""
        try:
            await asyncio.to_thread(self.bucket.delete_blob, object_key)
        except google_errors.NotFound:
            return True
        except Exception as exc:
            logger.warning(
                "GCSStorageClient: deleting gs://%s/%s failed: %s",
                self.bucket.name,
                object_key,
                exc,
            )
            return False
        return True

    async def get_read_url(self, object_key: str) -> str:
        blob = self.bucket.blob(object_key)
        options: dict[str, Any] = {}
        if self.emulator:
            host = self.emulator
            options["api_access_endpoint"] = host if "://" in host else f"http://{host}"
        url: str = await asyncio.to_thread(
            blob.generate_signed_url,
            version="v4",
            expiration=timedelta(seconds=storage_expiry_time),
            method="GET",
            credentials=self.signer,
            **options,
        )
        return url

    async def close(self) -> None:
        await asyncio.to_thread(self.client.close)
