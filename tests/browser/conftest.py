"""Browser tests: the built web UI in Debian's headless Chromium, against real stacks.

Chromium and npm are requirements here: when either is missing the tests fail, they
never skip (``apt-get install -y chromium``; Node.js with npm).
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from playwright.async_api import Browser, ConsoleMessage, Page, Playwright, async_playwright

from switchboard.prefork import PreforkServer
from switchboard.stack import LocalStack
from tests.support.fixtures import EXAMPLES, StackFactory

REPO = Path(__file__).resolve().parents[2]
WEB = REPO / "web"
DIST_INDEX = REPO / "services/gateway/src/switchboard_gateway/static/dist/index.html"
SCREENSHOTS = REPO / "docs/screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# What a change to should rebuild the UI.
_WEB_INPUTS = ("src", "index.html", "package.json", "package-lock.json", "vite.config.ts")


def _newest_input() -> float:
    newest = 0.0
    for name in _WEB_INPUTS:
        path = WEB / name
        files = path.rglob("*") if path.is_dir() else [path]
        for file in files:
            if file.is_file():
                newest = max(newest, file.stat().st_mtime)
    return newest


def _run(command: list[str]) -> None:
    result = subprocess.run(command, cwd=WEB, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        pytest.fail(
            f"{' '.join(command)} failed ({result.returncode}):\n"
            f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )


@pytest.fixture(scope="session")
def web_build() -> Path:
    """The built UI; `npm ci && npm run build` when missing or older than web/src."""
    if DIST_INDEX.is_file() and DIST_INDEX.stat().st_mtime >= _newest_input():
        return DIST_INDEX
    if shutil.which("npm") is None:
        pytest.fail("npm is not installed: the web UI cannot be built (install Node.js 20+)")
    lock = WEB / "package-lock.json"
    installed = WEB / "node_modules/.package-lock.json"
    if not installed.is_file() or installed.stat().st_mtime < lock.stat().st_mtime:
        _run(["npm", "ci", "--no-audit", "--no-fund"])
    _run(["npm", "run", "build"])
    if not DIST_INDEX.is_file():
        pytest.fail(f"npm run build did not produce {DIST_INDEX}")
    return DIST_INDEX


@pytest.fixture(scope="session")
async def playwright_driver() -> AsyncIterator[Playwright]:
    async with async_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
async def browser(playwright_driver: Playwright) -> AsyncIterator[Browser]:
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    instance = await playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
    )
    yield instance
    await instance.close()


class PageErrors:
    """Uncaught page errors and console errors, checked after each test."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.allowed: list[re.Pattern[str]] = []

    def console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and not any(p.search(message.text) for p in self.allowed):
            self.errors.append(f"console: {message.text}")

    def page_error(self, error: Any) -> None:
        self.errors.append(f"pageerror: {error}")


OpenPage = Callable[..., Awaitable[Page]]


@pytest.fixture
async def open_page(
    browser: Browser, web_build: Path, make_stack: StackFactory
) -> AsyncIterator[OpenPage]:
    """Open a fresh browser context (own storage) at a URL; fails on page errors.

    Depends on ``make_stack`` so that pages close before the stacks they talk to stop.
    """
    contexts: list[Any] = []
    errors = PageErrors()

    async def factory(
        url: str,
        *,
        width: int = 1280,
        height: int = 800,
        allow_console: tuple[str, ...] = (),
        **options: Any,
    ) -> Page:
        errors.allowed += [re.compile(pattern) for pattern in allow_console]
        context = await browser.new_context(viewport={"width": width, "height": height}, **options)
        contexts.append(context)
        page = await context.new_page()
        page.set_default_timeout(15_000)
        page.on("console", errors.console)
        page.on("pageerror", errors.page_error)
        await page.goto(url)
        return page

    yield factory
    for context in contexts:
        await context.close()
    assert not errors.errors, "\n".join(errors.errors)


SharedStack = Callable[..., LocalStack]


@pytest.fixture(scope="session")
def shared_stack(
    redis_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    web_build: Path,
    prefork: PreforkServer | None,
) -> Iterator[SharedStack]:
    """One running stack per (app, config, env), shared by every test that asks for it.

    Starting a stack costs seconds; tests that only need a fresh browser session (each
    page load is a new chat session) share one. Tests that change a stack (kill a
    process, count users) use ``make_stack`` instead.
    """
    started: dict[tuple[str, str, tuple[tuple[str, str], ...]], LocalStack] = {}
    prefixes: list[str] = []

    def factory(
        app: Path, *, config: str = "", extra_env: dict[str, str] | None = None
    ) -> LocalStack:
        key = (str(app), config, tuple(sorted((extra_env or {}).items())))
        if key in started:
            return started[key]
        folder = tmp_path_factory.mktemp(Path(app).stem)
        config_file = None
        if config:
            config_file = folder / "config.toml"
            config_file.write_text(config)
        prefix = f"sbtest-{uuid.uuid4().hex[:10]}"
        prefixes.append(prefix)
        stack = LocalStack(
            app=Path(app),
            redis_url=redis_url,
            redis_prefix=prefix,
            database_url=f"sqlite+aiosqlite:///{folder / 'stack.db'}",
            config_file=config_file,
            log_dir=folder / "logs",
            extra_env=dict(extra_env or {}),
            prefork=prefork,
        )
        started[key] = stack.start()
        return stack

    yield factory
    for stack in started.values():
        stack.stop()

    async def cleanup() -> None:
        client = aioredis.Redis.from_url(redis_url)
        try:
            for prefix in prefixes:
                keys = [k async for k in client.scan_iter(match=f"{prefix}:*", count=1000)]
                if keys:
                    await client.delete(*keys)
        finally:
            await client.aclose()

    asyncio.run(cleanup())


@pytest.fixture
def demo_url(shared_stack: SharedStack) -> str:
    """The shared stack running examples/demo.py."""
    return shared_stack(EXAMPLES / "demo.py").url


async def save_screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    await page.screenshot(path=str(path))
    return path
