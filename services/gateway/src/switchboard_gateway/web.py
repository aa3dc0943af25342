"""Serve the browser UI: built assets when present, else a minimal chat page."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

from switchboard.config import AppConfig

__all__ = ("mount_web",)

_STATIC = Path(__file__).parent / "static"


def mount_web(api: FastAPI, config: AppConfig) -> None:
    dist = _STATIC / "dist"
    index = dist / "index.html" if (dist / "index.html").is_file() else _STATIC / "index.html"
    if (dist / "assets").is_dir():
        api.mount("/assets", StaticFiles(directory=dist / "assets"), name="assets")

    @api.get("/favicon", include_in_schema=False)
    async def favicon() -> FileResponse:
        return FileResponse(_STATIC / "favicon.svg", media_type="image/svg+xml")

    @api.get("/{full_path:path}", include_in_schema=False)
    async def spa(full_path: str) -> HTMLResponse:
        html = index.read_text(encoding="utf-8").replace("{{APP_NAME}}", config.ui.name)
        return HTMLResponse(html)
