"""The app's ``public/`` folder through the gateway: files with their types and cache
validators, traversal and symlink escapes refused, Chainlit's avatar, logo and favicon
rules, and ``theme.json`` and the custom CSS/JS in the served index page."""

from __future__ import annotations

import asyncio
import http.client
import json
import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis

from switchboard.prefork import PreforkServer
from switchboard.stack import LocalStack
from tests.support.fixtures import TEST_APPS

PUBLIC_APP = TEST_APPS / "public_app"
SECRET = b"never served: outside the public folder"
FAVICON = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8">'
    b'<rect width="8" height="8" fill="#a0a"/></svg>'
)


def _app_dir(tmp_path: Path) -> Path:
    """The test app copied beside a secret, with symlinks in and out of public/."""
    app = tmp_path / "app"
    shutil.copytree(PUBLIC_APP, app)
    public = app / "public"
    (app / "secret.txt").write_bytes(SECRET)
    (tmp_path / "outside.png").write_bytes(SECRET)
    (public / "favicon.svg").write_bytes(FAVICON)
    (public / "leak.txt").symlink_to("../secret.txt")
    (public / "absolute_leak.txt").symlink_to(tmp_path / "outside.png")
    (public / "updir").symlink_to("..", target_is_directory=True)
    (public / "alias.css").symlink_to("custom.css")
    (public / "avatars" / "leak.png").symlink_to(tmp_path / "outside.png")
    return app


@pytest.fixture(scope="module")
def public_stack(
    redis_url: str, tmp_path_factory: pytest.TempPathFactory, prefork: PreforkServer | None
) -> Iterator[tuple[LocalStack, Path]]:
    """One stack for the module: the tests only read, except theme.json, which they restore."""
    tmp_path = tmp_path_factory.mktemp("public")
    app = _app_dir(tmp_path)
    prefix = f"sbtest-{uuid.uuid4().hex[:10]}"
    stack = LocalStack(
        app=app / "app.py",
        redis_url=redis_url,
        redis_prefix=prefix,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'stack.db'}",
        config_file=app / ".chainlit" / "config.toml",
        log_dir=tmp_path / "logs",
        storage_dir=tmp_path / "files",
        # Unset (blank): the gateway finds public/ beside the config file's .chainlit/.
        extra_env={"SWITCHBOARD_PUBLIC_DIR": ""},
        prefork=prefork,
    )
    try:
        yield stack.start(), app
    finally:
        stack.stop()
        asyncio.run(_drop_keys(redis_url, prefix))


async def _drop_keys(redis_url: str, prefix: str) -> None:
    client = aioredis.Redis.from_url(redis_url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*", count=1000)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


def _raw(base_url: str, target: str, method: str = "GET") -> tuple[int, bytes]:
    """A request whose target goes out byte for byte (httpx would normalise ``..``)."""
    url = httpx.URL(base_url)
    connection = http.client.HTTPConnection(url.host, url.port, timeout=10)
    try:
        connection.request(method, target)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


async def test_public_files_are_served_with_their_types_and_validators(
    public_stack: tuple[LocalStack, Path],
) -> None:
    stack, app = public_stack
    public = app / "public"
    expected = {
        "custom.css": "text/css; charset=utf-8",
        "custom.js": "text/javascript; charset=utf-8",
        "theme.json": "application/json",
        "elements/Counter.jsx": "text/javascript; charset=utf-8",
        "avatars/assistant.png": "image/png",
        "avatars/public_files.svg": "image/svg+xml",
        "login.png": "image/png",
    }
    async with httpx.AsyncClient(base_url=stack.url, timeout=10) as http:
        for name, content_type in expected.items():
            got = await http.get(f"/public/{name}")
            assert got.status_code == 200, (name, got.text)
            assert got.headers["content-type"] == content_type, name
            assert got.content == (public / name).read_bytes(), name
            assert got.headers["x-content-type-options"] == "nosniff"
            assert got.headers["cache-control"] == "public, max-age=60"
            assert got.headers["etag"] and got.headers["last-modified"]

        # Revalidation: an unchanged file is a 304 without a body.
        first = await http.get("/public/custom.css")
        again = await http.get(
            "/public/custom.css", headers={"If-None-Match": first.headers["etag"]}
        )
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == first.headers["etag"]
        since = await http.get(
            "/public/custom.css", headers={"If-Modified-Since": first.headers["last-modified"]}
        )
        assert since.status_code == 304
        changed = await http.get("/public/custom.css", headers={"If-None-Match": '"other"'})
        assert changed.status_code == 200 and changed.content == first.content

        head = await http.head("/public/elements/Counter.jsx")
        assert head.status_code == 200 and head.content == b""
        size = (public / "elements" / "Counter.jsx").stat().st_size
        assert head.headers["content-length"] == str(size)

        # A symlink that stays inside the folder is followed.
        alias = await http.get("/public/alias.css")
        assert alias.status_code == 200 and alias.content == (public / "custom.css").read_bytes()

        # Only files: directories and misses are 404, never the SPA page.
        for missing in (
            "/public",
            "/public/",
            "/public/elements",
            "/public/elements/",
            "/public/nope.css",
        ):
            got = await http.get(missing)
            assert got.status_code == 404, missing
            assert "<html" not in got.text


async def test_traversal_and_symlink_escapes_are_refused(
    public_stack: tuple[LocalStack, Path],
) -> None:
    stack, app = public_stack
    never = [
        (app / "app.py").read_bytes(),
        (app / ".chainlit" / "config.toml").read_bytes(),
        SECRET,
    ]
    invalid = (
        "/public/../app.py",
        "/public/%2e%2e/app.py",
        "/public/..%2fapp.py",
        "/public/%2E%2E%2Fapp.py",
        "/public/elements/../../.chainlit/config.toml",
        "/public/elements/%2e%2e/%2e%2e/.chainlit/config.toml",
        "/public/..\\app.py",
        "/public/..%5capp.py",
        "/public/elements%5c..%5c..%5capp.py",
        "/public/custom.css%00.png",
        "/public//etc/passwd",
        "/public/%2fetc%2fpasswd",
    )
    escapes = (
        "/public/leak.txt",
        "/public/absolute_leak.txt",
        "/public/updir/app.py",
        "/public/updir/secret.txt",
        "/public/updir/.chainlit/config.toml",
        "/public/%252e%252e/app.py",
    )
    for target in invalid:
        for method in ("GET", "HEAD"):
            status, body = await asyncio.to_thread(_raw, stack.url, target, method)
            assert status == 400, (method, target, status, body[:200])
            if method == "GET":
                assert json.loads(body) == {"detail": "Invalid filename"}, target
    for target in escapes:
        status, body = await asyncio.to_thread(_raw, stack.url, target)
        assert status == 404, (target, status, body[:200])
        assert not any(secret in body for secret in never), target
    # The files refused above exist and the stack is healthy: a plain file still works.
    status, body = await asyncio.to_thread(_raw, stack.url, "/public/custom.css")
    assert status == 200 and body == (app / "public" / "custom.css").read_bytes()


async def test_avatars_logos_and_favicon_follow_chainlits_rules(
    public_stack: tuple[LocalStack, Path],
) -> None:
    stack, app = public_stack
    avatars = app / "public" / "avatars"
    assistant = (avatars / "assistant.png").read_bytes()
    named = (avatars / "public_files.svg").read_bytes()
    async with httpx.AsyncClient(base_url=stack.url, timeout=10) as http:
        for avatar_id, body in (
            ("assistant", assistant),
            ("Assistant", assistant),  # lower-cased
            ("default", named),  # [UI] name "Public Files"
            ("Public Files", named),  # spaces and dots become underscores
            ("Public.Files", named),
            ("nobody", FAVICON),  # no such avatar: the app's favicon
            ("leak", FAVICON),  # a symlink out of the folder is not there
        ):
            got = await http.get(f"/avatars/{avatar_id}")
            assert got.status_code == 200, avatar_id
            assert got.content == body, avatar_id
        for bad in ("bad$id", "a;b", "..", "%00", "a%5cb"):
            status, _ = await asyncio.to_thread(_raw, stack.url, f"/avatars/{bad}")
            assert status == 400, bad

        favicon = await http.get("/favicon")
        assert favicon.content == FAVICON
        assert favicon.headers["content-type"] == "image/svg+xml"
        dark = await http.get("/logo", params={"theme": "dark"})
        assert dark.content == (app / "public" / "logo_dark.png").read_bytes()
        assert dark.headers["content-type"] == "image/png"
        light = await http.get("/logo", params={"theme": "light"})  # no logo_light.*
        assert light.content == FAVICON

        # The URLs the config hands the UI point at files the gateway serves.
        settings = (await http.get("/project/settings")).json()["ui"]
        login = (await http.get("/auth/config")).json()["ui"]["login_page_image"]
        for url in (settings["logo_file_url"], settings["default_avatar_file_url"], login):
            got = await http.get(url)
            assert got.status_code == 200 and got.headers["content-type"] == "image/png", url


async def test_index_page_carries_the_theme_fonts_and_custom_files(
    public_stack: tuple[LocalStack, Path],
) -> None:
    stack, app = public_stack
    theme = json.loads((app / "public" / "theme.json").read_text())
    async with httpx.AsyncClient(base_url=stack.url, timeout=10) as http:
        for path in ("/", "/thread/some-id"):
            page = (await http.get(path)).text
            found = re.search(r"window\.theme = (\{.*?\});window\.transports", page)
            assert found is not None, page
            assert json.loads(found.group(1)) == theme["variables"]
            for font in theme["custom_fonts"]:
                assert f'<link rel="stylesheet" href="{font.replace("&", "&amp;")}" />' in page
            assert '<link rel="stylesheet" type="text/css" href="/public/custom.css" />' in page
            assert '<script src="/public/custom.js" defer></script>' in page
        css = await http.get("/public/custom.css")
        js = await http.get("/public/custom.js")
        assert css.status_code == js.status_code == 200
        assert b"public-app-marker" in css.content and b"publicAppLoaded" in js.content

        # theme.json is read per page: an edit shows on the next load, a broken file
        # leaves the page without a theme instead of failing it.
        theme_file = app / "public" / "theme.json"
        original = theme_file.read_bytes()
        try:
            theme_file.write_text('{"variables": {"light": {"--x": "1"}}}')
            assert 'window.theme = {"light": {"--x": "1"}};' in (await http.get("/")).text
            theme_file.write_text("{not json")
            page = await http.get("/")
            assert page.status_code == 200 and "window.theme" not in page.text
        finally:
            theme_file.write_bytes(original)
