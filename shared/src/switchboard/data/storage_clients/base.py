"""Chainlit's ``BaseStorageClient``, by name and signature.

Switchboard's persistence service owns file storage (local disk or S3,
``SWITCHBOARD_STORAGE_*``); the class is here so apps that subclass it import.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

__all__ = ("BaseStorageClient",)


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
