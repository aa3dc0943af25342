"""Copying an element's file to the app's storage provider, for the SQL and DynamoDB layers.

An element carries its content, a local path or a URL; Chainlit's layers upload
whichever it has and record where it went (``url``, ``objectKey``). Both of
Switchboard's layers do that the same way; only the object key differs, so the
caller names it, once there is something to upload.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from switchboard.data.storage_clients.base import BaseStorageClient
from switchboard.sdk.element import Element

__all__ = ("read_content", "upload_content")

# What an upload is labelled when the element names no MIME type.
_DEFAULT_MIME = "application/octet-stream"


async def read_content(element: Element) -> bytes | str | None:
    """The content, else the file at ``path``, else what an http(s) ``url`` serves."""
    if element.content is not None:
        return element.content
    if element.path:
        # A file read would block the event loop.
        return await asyncio.to_thread(Path(element.path).read_bytes)
    if element.url and element.url.startswith(("http://", "https://")):
        async with httpx.AsyncClient() as http:
            response = await http.get(element.url)
            response.raise_for_status()
            return response.content
    return None


async def upload_content(
    storage: BaseStorageClient | None,
    element: Element,
    object_key: Callable[[], Awaitable[str]],
) -> dict[str, Any]:
    """Upload the element's content: its ``url`` and ``objectKey`` to record (None where
    the provider names none); nothing when there is no provider or no content."""
    if storage is None:
        return {}
    content = await read_content(element)
    if content is None:
        return {}
    uploaded = await storage.upload_file(
        object_key=await object_key(),
        data=content,
        mime=element.mime or _DEFAULT_MIME,
        overwrite=True,
    )
    return {"url": uploaded.get("url"), "objectKey": uploaded.get("object_key")}
