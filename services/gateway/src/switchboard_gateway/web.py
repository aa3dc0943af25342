"""Serve the browser UI: the built SPA when present, else a page saying how to build it.

``index.html`` is templated per request as Chainlit does: title, meta and Open Graph
tags with ``og:root_path``, ``window.transports``, the theme variables and fonts of
``public/theme.json``, custom CSS/JS, and every absolute ``href``/``src`` (injected
ones included) prefixed with the root path. Favicon, logos and avatars prefer the
app's ``public/`` files, found through the same guarded lookup as ``/public/...``.

The UI served is the one built into this package (``static/dist``) unless
``SWITCHBOARD_WEB_DIST`` names another built folder, such as the ``frontend/dist`` of a
Chainlit wheel: the gateway speaks Chainlit's protocol and REST API, so Chainlit's stock
UI runs on it unchanged. Its ``favicon.svg`` and ``logo_<theme>.svg`` are then the
defaults when ``public/`` has none, as Chainlit's server has them.
"""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import Scope

from switchboard.config import AppConfig
from switchboard_gateway.errors import BadRequest, NotFound
from switchboard_gateway.public import PublicFolder, build_public_router, file_response

__all__ = ("mount_web",)

_STATIC = Path(__file__).parent / "static"
_DIST = _STATIC / "dist"
_AVATAR_ID = re.compile(r"^[a-zA-Z0-9_ .-]+$")
_FONTS = re.compile(r"(<!-- FONT START -->).*?(<!-- FONT END -->)", re.DOTALL)
# Absolute (not protocol-relative) links, which move under the root path.
_ROOTED = re.compile(r'(href|src)="/(?!/)')
_ICON_LINK = re.compile(r"<link[^>]*\brel=[\"']?icon\b", re.IGNORECASE)
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


def _image(
    folder: PublicFolder, dist: Path, request: Request, stem: str, subfolder: str = ""
) -> Response:
    """An image by stem: the app's ``public/`` one, the UI build's, the app's favicon,
    the UI build's favicon, else ours. Blocking (lookups)."""
    custom = folder.find_image(stem, subfolder)
    if custom is not None:
        return file_response(custom, request)
    shipped = dist / f"{stem}.svg"
    if not subfolder and shipped.is_file():
        return FileResponse(shipped, media_type="image/svg+xml")
    favicon = folder.find_image("favicon")
    if favicon is not None:
        return file_response(favicon, request)
    for fallback in (dist / "favicon.svg", _STATIC / "favicon.svg"):
        if fallback.is_file():
            return FileResponse(fallback, media_type="image/svg+xml")
    raise NotFound()


def _head_tags(config: AppConfig, root: str, template: str) -> str:
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
    if not _ICON_LINK.search(template):
        # Chainlit's stock index.html leaves the icon link to the server, as ours does not.
        tags.append('<link rel="icon" href="/favicon" />')
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


def _theme_tags(theme: dict[str, Any] | None) -> tuple[str, str]:
    """``window.theme`` (the variables) and the stylesheet links of the custom fonts."""
    if not theme:
        return "", ""
    variables = theme.get("variables")
    script = f"window.theme = {_script_json(variables)};" if isinstance(variables, dict) else ""
    fonts = theme.get("custom_fonts")
    links = [
        f'<link rel="stylesheet" href="{html.escape(url)}" />'
        for url in (fonts if isinstance(fonts, list) else [])
        if isinstance(url, str)
    ]
    return script, "\n    ".join(links)


def render_index(
    template: str, config: AppConfig, root: str, theme: dict[str, Any] | None = None
) -> str:
    """Fill Chainlit's placeholders in the built ``index.html``."""
    ui = config.ui
    theme_script, fonts = _theme_tags(theme)
    page = template.replace(
        "<!-- TAG INJECTION PLACEHOLDER -->", _head_tags(config, root, template)
    )
    css = ""
    if fonts:
        if _FONTS.search(page):
            # Chainlit's build marks its default font links: the theme's replace them.
            page = _FONTS.sub(lambda m: f"{m.group(1)}{fonts}{m.group(2)}", page, count=1)
        else:
            css = fonts
    if ui.custom_css:
        attributes = getattr(ui, "custom_css_attributes", None)
        extra = f" {attributes}" if attributes else ""
        href = html.escape(ui.custom_css)
        link = f'<link rel="stylesheet" type="text/css" href="{href}"{extra} />'
        css = f"{css}\n    {link}" if css else link
    page = page.replace("<!-- CSS INJECTION PLACEHOLDER -->", css)
    script = (
        "<script>"
        f"{theme_script}"
        f"window.transports = {_script_json(config.project.transports)};"
        f"window.__SB_DEFAULT_THEME__ = {_script_json(ui.default_theme)};"
        "</script>"
    )
    if ui.custom_js:
        attributes = getattr(ui, "custom_js_attributes", None) or "defer"
        script += f'\n    <script src="{html.escape(ui.custom_js)}" {attributes}></script>'
    page = page.replace("<!-- JS INJECTION PLACEHOLDER -->", script)
    if root:
        page = _ROOTED.sub(lambda m: f'{m.group(1)}="{root}/', page)
    return page


def _index_page(config: AppConfig, folder: PublicFolder, dist: Path) -> str:
    """The page for every SPA path; blocking (file reads), so run in a thread."""
    built = dist / "index.html"
    template = (built if built.is_file() else _STATIC / "index.html").read_text(encoding="utf-8")
    template = template.replace("{{APP_NAME}}", html.escape(config.ui.name))
    return render_index(template, config, _root_path(), folder.theme())


def mount_web(
    api: FastAPI, config: AppConfig, public_dir: Path | None, web_dist: Path | None = None
) -> None:
    """Add the UI routes; call last, since the SPA route catches every other GET.

    ``web_dist`` is another built UI to serve instead of the packaged one.
    """
    folder = PublicFolder(public_dir)
    dist = web_dist or _DIST
    api.mount("/assets", _HashedAssets(directory=dist / "assets", check_dir=False), name="assets")
    api.include_router(build_public_router(folder))

    @api.get("/favicon", include_in_schema=False)
    async def favicon(request: Request) -> Response:
        return await anyio.to_thread.run_sync(_image, folder, dist, request, "favicon")

    @api.get("/logo", include_in_schema=False)
    async def logo(
        request: Request, theme: str = Query("light", pattern="^(light|dark)$")
    ) -> Response:
        return await anyio.to_thread.run_sync(_image, folder, dist, request, f"logo_{theme}")

    @api.get("/avatars/{avatar_id}", include_in_schema=False)
    async def avatar(avatar_id: str, request: Request) -> Response:
        if not _AVATAR_ID.match(avatar_id) or ".." in avatar_id:
            raise BadRequest("Invalid avatar id")
        if avatar_id == "default":
            avatar_id = config.ui.name
        stem = avatar_id.lower().replace(" ", "_").replace(".", "_")
        return await anyio.to_thread.run_sync(_image, folder, dist, request, stem, "avatars")

    @api.get("/copilot/index.js", include_in_schema=False)
    async def copilot_widget() -> Response:
        # The widget a host page loads from any origin; it frames /copilot/frame.
        for built in (dist, _DIST):
            script = built / "copilot" / "index.js"
            if script.is_file():
                return FileResponse(
                    script,
                    media_type="text/javascript",
                    headers={"Cache-Control": "no-cache", "Access-Control-Allow-Origin": "*"},
                )
        raise NotFound()

    @api.get("/{full_path:path}", include_in_schema=False)
    async def spa(full_path: str) -> HTMLResponse:
        if full_path.startswith(_NOT_SPA) or f"{full_path}/" in _NOT_SPA:
            raise NotFound()
        page = await anyio.to_thread.run_sync(_index_page, config, folder, dist)
        return HTMLResponse(page, headers={"Cache-Control": "no-cache"})
