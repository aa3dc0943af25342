"""Chainlit's ``BaseStorageClient``, by name and signature.

Switchboard's persistence service owns the chat's file storage (local disk, S3, GCS or
Azure, ``SWITCHBOARD_STORAGE_*``); the storage clients beside this module are for app
code that keeps files in a store of its own, as it did on Chainlit.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from typing import Any

__all__ = ("EXPIRY_TIME", "BaseStorageClient", "storage_expiry_time")

# How long a read URL a storage client hands out stays valid, in seconds (Chainlit's variable).
storage_expiry_time = int(os.environ.get("STORAGE_EXPIRY_TIME", "3600"))
EXPIRY_TIME = storage_expiry_time


class BaseStorageClient(ABC):
    @abstractmethod
    async def upload_file(
        self,
        object_key: str,
        data: bytes | str,
        mime: str = "application/octet-stream",
        overwrite: bool = True,
        content_disposition: str | None = None,
    ) -> dict[str, Any]: ...

    @abstractmethod
    async def delete_file(self, object_key: str) -> bool: ...

    @abstractmethod
    async def get_read_url(self, object_key: str) -> str: ...

    @abstractmethod
    async def close(self) -> None: ...
