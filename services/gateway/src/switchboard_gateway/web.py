"""Serve the browser UI: the built SPA when present, else a page saying how to build it.

``index.html`` is templated per request as Chainlit does (reference §7.1): title, meta
and Open Graph tags with ``og:root_path``, ``window.transports``, custom CSS/JS, and
every absolute ``href``/``src`` prefixed with the root path.
"""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Query
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import Scope

from switchboard.config import AppConfig

__all__ = ("mount_web",)

_STATIC = Path(__file__).parent / "static"
_DIST = _STATIC / "dist"
_AVATAR_ID = re.compile(r"^[a-zA-Z0-9_ .-]+$")
_IMAGE_SUFFIXES = (".svg", ".png", ".jpg", ".jpeg", ".webp", ".gif", ".ico")
# Paths the SPA never owns: a miss there is a 404, not the index page.
_NOT_SPA = ("assets/", "ws/", "project/", "auth/", "avatars/", "public/")


class _HashedAssets(StaticFiles):
    """Vite's assets carry a content hash in their names: cache them for good."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


def _root_path() -> str:
    return os.environ.get("SWITCHBOARD_ROOT_PATH", "").rstrip("/")


def _public_dir() -> Path | None:
    """The app's ``public/`` folder (beside the app module), when this process knows it."""
    app = os.environ.get("SWITCHBOARD_APP")
    if not app:
        return None
    public = Path(app).resolve().parent / "public"
    return public if public.is_dir() else None


def _find_image(directory: Path | None, stem: str) -> Path | None:
    if directory is None or not directory.is_dir():
        return None
    for suffix in _IMAGE_SUFFIXES:
        candidate = directory / f"{stem}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def _favicon() -> FileResponse:
    custom = _find_image(_public_dir(), "favicon")
    if custom is not None:
        return FileResponse(custom)
    return FileResponse(_STATIC / "favicon.svg", media_type="image/svg+xml")


def _head_tags(config: AppConfig, root: str) -> str:
    ui = config.ui
    name = html.escape(ui.name)
    description = html.escape(ui.description or "")
    tags = [
        f"<title>{name}</title>",
        f'<meta name="description" content="{description}" />',
        '<meta property="og:type" content="website" />',
        f'<meta property="og:title" content="{name}" />',
        f'<meta property="og:description" content="{description}" />',
        f'<meta property="og:root_path" content="{html.escape(root)}" />',
    ]
    meta_url = getattr(ui, "custom_meta_url", None)
    if meta_url:
        tags.append(f'<meta property="og:url" content="{html.escape(meta_url)}" />')
    meta_image = getattr(ui, "custom_meta_image_url", None)
    if meta_image:
        tags.append(f'<meta property="og:image" content="{html.escape(meta_image)}" />')
    return "\n    ".join(tags)


def _script_json(value: Any) -> str:
    # JSON inside <script>: "</" must not close the element.
    return json.dumps(value).replace("</", "<\\/")


def render_index(template: str, config: AppConfig, root: str) -> str:
    """Fill Chainlit's placeholders in the built ``index.html``."""
    ui = config.ui
    page = template
    if root:
        page = page.replace('href="/', f'href="{root}/').replace('src="/', f'src="{root}/')
    page = page.replace("<!-- TAG INJECTION PLACEHOLDER -->", _head_tags(config, root))
    css = ""
    if ui.custom_css:
        css = f'<link rel="stylesheet" type="text/css" href="{html.escape(ui.custom_css)}" />'
    page = page.replace("<!-- CSS INJECTION PLACEHOLDER -->", css)
    script = (
        "<script>"
        f"window.transports = {_script_json(config.project.transports)};"
        f"window.__SB_DEFAULT_THEME__ = {_script_json(ui.default_theme)};"
        "</script>"
    )
    if ui.custom_js:
        attributes = getattr(ui, "custom_js_attributes", None) or "defer"
        script += f'\n    <script src="{html.escape(ui.custom_js)}" {attributes}></script>'
    return page.replace("<!-- JS INJECTION PLACEHOLDER -->", script)


def mount_web(api: FastAPI, config: AppConfig) -> None:
    """Add the UI routes; call last, since the SPA route catches every other GET."""
    api.mount("/assets", _HashedAssets(directory=_DIST / "assets", check_dir=False), name="assets")

    @api.get("/favicon", include_in_schema=False)
    async def favicon() -> FileResponse:
        return _favicon()

    @api.get("/logo", include_in_schema=False)
    async def logo(theme: str = Query("light", pattern="^(light|dark)$")) -> FileResponse:
        custom = _find_image(_public_dir(), f"logo_{theme}")
        return FileResponse(custom) if custom is not None else _favicon()

    @api.get("/avatars/{avatar_id}", include_in_schema=False)
    async def avatar(avatar_id: str) -> FileResponse:
        if not _AVATAR_ID.match(avatar_id) or ".." in avatar_id:
            raise HTTPException(status_code=400, detail="Invalid avatar id")
        if avatar_id == "default":
            avatar_id = config.ui.name
        stem = avatar_id.lower().replace(" ", "_").replace(".", "_")
        public = _public_dir()
        custom = _find_image(public / "avatars" if public else None, stem)
        return FileResponse(custom) if custom is not None else _favicon()

    @api.get("/{full_path:path}", include_in_schema=False)
    async def spa(full_path: str) -> HTMLResponse:
        if full_path.startswith(_NOT_SPA):
            raise HTTPException(status_code=404, detail="Not found")
        built = _DIST / "index.html"
        if built.is_file():
            page = render_index(built.read_text(encoding="utf-8"), config, _root_path())
        else:
            page = (_STATIC / "index.html").read_text(encoding="utf-8")
            page = page.replace("{{APP_NAME}}", html.escape(config.ui.name))
        return HTMLResponse(page, headers={"Cache-Control": "no-cache"})
