"""The app's ``public/`` folder, served at ``/public/...`` as Chainlit serves it.

Custom CSS and JS, ``theme.json``, logos, favicons, avatars and custom element sources
(``public/elements/*.jsx``) live there. A request names a file by a path relative to
the folder: anything that could leave it (``..``, an absolute path, a backslash, NUL)
is refused with 400 before the file system is touched, and a symlink whose target
lies outside the folder is a 404, as if the file were not there. Files are streamed
by ``FileResponse`` and looked up in a thread, so a slow disk never stalls the loop.
"""

from __future__ import annotations

import json
import logging
import mimetypes
import os
import stat
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from switchboard_gateway.errors import BadRequest, NotFound

__all__ = (
    "IMAGE_SUFFIXES",
    "InvalidFilename",
    "PublicFile",
    "PublicFolder",
    "build_public_router",
    "file_response",
    "public_folder",
)

logger = logging.getLogger(__name__)

# Short: an edited public file shows within a minute; ETag/Last-Modified make the
# revalidation after that a 304.
MAX_AGE_S = 60
IMAGE_SUFFIXES = (".svg", ".png", ".jpg", ".jpeg", ".webp", ".gif", ".avif", ".ico")
# theme.json is read into every index page: keep a runaway file out of memory.
MAX_THEME_BYTES = 1_048_576
# Explicit types for what the UI loads, so the answer does not depend on the host's
# /etc/mime.types (``.jsx`` is unknown there; the UI fetches and compiles it).
_TYPES = {
    ".css": "text/css",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".jsx": "text/javascript",
    ".json": "application/json",
    ".map": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
}


class InvalidFilename(ValueError):
    """A requested name that could point outside the folder."""


@dataclass(frozen=True)
class PublicFile:
    """A regular file inside the folder: its real path and the stat it was found with."""

    path: Path
    stat: os.stat_result


def public_folder(explicit: Path | None, config_file: Path | None) -> Path | None:
    """The folder to serve: the setting, else ``public/`` beside the app's ``.chainlit/``."""
    if explicit is not None:
        return explicit
    if config_file is None:
        return None
    return config_file.parent.parent / "public"


def check_name(name: str) -> None:
    """Refuse names that climb out of the folder or that a file system could misread."""
    if "\x00" in name or "\\" in name or name.startswith("/"):
        raise InvalidFilename(name)
    if any(part == ".." for part in name.split("/")):
        raise InvalidFilename(name)


@dataclass(frozen=True)
class PublicFolder:
    """The app's ``public/`` folder; ``root`` None (or missing) serves nothing."""

    root: Path | None

    def locate(self, name: str) -> PublicFile | None:
        """The regular file ``name`` names, if it is (and resolves to) inside the folder.

        Blocking: call it from a thread. Raises ``InvalidFilename`` for traversal.
        """
        check_name(name)
        if self.root is None:
            return None
        try:
            # Both sides resolved: the folder itself may be a symlink (a mounted volume).
            root = self.root.resolve(strict=True)
            target = (root / name).resolve(strict=True)
            if not target.is_relative_to(root):
                return None
            found = target.stat()
        except (OSError, RuntimeError, ValueError):
            return None
        return PublicFile(target, found) if stat.S_ISREG(found.st_mode) else None

    def find_image(self, stem: str, folder: str = "") -> PublicFile | None:
        """``[folder/]stem.<image suffix>``, the first suffix of ``IMAGE_SUFFIXES`` present."""
        prefix = f"{folder}/" if folder else ""
        for suffix in IMAGE_SUFFIXES:
            found = self.locate(f"{prefix}{stem}{suffix}")
            if found is not None:
                return found
        return None

    def theme(self) -> dict[str, Any] | None:
        """``theme.json`` parsed, or None when absent, too big or not a JSON object."""
        found = self.locate("theme.json")
        if found is None or found.stat.st_size > MAX_THEME_BYTES:
            return None
        try:
            theme = json.loads(found.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            logger.warning("public/theme.json ignored: %s", exc)
            return None
        return theme if isinstance(theme, dict) else None


def _media_type(path: Path) -> str:
    suffix = path.suffix.lower()
    return _TYPES.get(suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def _not_modified(request: Request, response: Response) -> bool:
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
        return "*" in tags or response.headers["etag"] in tags
    if_modified_since = request.headers.get("if-modified-since")
    if if_modified_since is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
        modified = parsedate_to_datetime(response.headers["last-modified"])
        return modified <= since
    except (TypeError, ValueError):
        return False


def file_response(found: PublicFile, request: Request) -> Response:
    """The file with its type, validators and a short cache life; 304 when unchanged."""
    response = FileResponse(found.path, media_type=_media_type(found.path), stat_result=found.stat)
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE_S}"
    response.headers["X-Content-Type-Options"] = "nosniff"
    if _not_modified(request, response):
        headers = {
            key: response.headers[key]
            for key in ("etag", "last-modified", "cache-control")
            if key in response.headers
        }
        return Response(status_code=304, headers=headers)
    return response


def build_public_router(folder: PublicFolder) -> APIRouter:
    """``GET``/``HEAD /public/{path}``: files only; directories and misses are 404."""
    router = APIRouter()

    @router.api_route("/public/{name:path}", methods=["GET", "HEAD"], include_in_schema=False)
    async def public_file(name: str, request: Request) -> Response:
        try:
            found = await anyio.to_thread.run_sync(folder.locate, name)
        except InvalidFilename:
            raise BadRequest("Invalid filename") from None
        if found is None:
            raise NotFound()
        return file_response(found, request)

    return router
