"""Chainlit 2.12's own web UI drives Switchboard's MCP routes.

The stock frontend (see ``test_stock_ui.py``) shows its MCP dialog when the settings
list configured servers or enable user servers. Its "Connect" on a configured server
posts ``{sessionId, name}``; its own-server form posts ``name``, ``clientType``, ``url``
and JSON ``headers``. The app is ``examples/mcp_agent.py``; the servers are the suite's
real MCP test servers.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.compat.test_stock_ui import (
    _ELSEWHERE,
    _nothing_elsewhere,
    send,
    steps,
    stock_browser,  # noqa: F401  (a fixture)
    stock_dist,  # noqa: F401  (a fixture)
    wait_idle,
)
from tests.e2e.test_mcp import http_server, sse_server  # noqa: F401  (fixtures)
from tests.support.fixtures import EXAMPLES, StackFactory

OpenWithConfig = Callable[[str], Awaitable[Page]]


@pytest.fixture
async def open_stock_with_config(
    stock_browser: Browser,  # noqa: F811
    stock_dist: Path,  # noqa: F811
    make_stack: StackFactory,
    tmp_path: Path,
) -> AsyncIterator[OpenWithConfig]:
    contexts: list[BrowserContext] = []
    errors: list[str] = []

    async def factory(config: str) -> Page:
        config_file = tmp_path / "config.toml"
        config_file.write_text(config)
        stack = make_stack(
            EXAMPLES / "mcp_agent.py",
            config_file=config_file,
            extra_env={"SWITCHBOARD_WEB_DIST": str(stock_dist)},
        )
        context = await stock_browser.new_context(viewport={"width": 1280, "height": 800})
        contexts.append(context)
        await context.route(_ELSEWHERE, _nothing_elsewhere)
        page = await context.new_page()
        page.set_default_timeout(15_000)
        # A refused server answers 400, which the browser and the stock UI log.
        refused = re.compile(r"status of 400|Bad Request")
        page.on(
            "console",
            lambda m: (
                errors.append(m.text) if m.type == "error" and not refused.search(m.text) else None
            ),
        )
        page.on("pageerror", lambda e: errors.append(str(e)))
        await page.goto(stack.url)
        return page

    yield factory
    for context in contexts:
        await context.close()
    assert not errors, "\n".join(errors)


async def _ask(page: Page, text: str, expected: str) -> None:
    await wait_idle(page)
    await send(page, text)
    await expect(steps(page, "assistant_message").last).to_contain_text(expected)


async def test_stock_ui_connects_configured_and_own_servers(
    open_stock_with_config: OpenWithConfig,
    http_server: str,  # noqa: F811
    sse_server: str,  # noqa: F811
) -> None:
    page = await open_stock_with_config(
        f"""
[features.mcp]
enabled = true

[[features.mcp.servers]]
name = "Docs"
type = "streamable-http"
url = "{http_server}"

[features.mcp.user_servers]
enabled = true
allowed_urls = ["{sse_server}"]
"""
    )
    await expect(steps(page, "assistant_message").first).to_contain_text("Connect an MCP server")
    # The configured server opened with the chat, before the stock UI asked for it.
    await _ask(page, "tools", "Docs.add: Add two integers.")

    await page.get_by_role("button").filter(has=page.locator("svg.lucide-plug")).last.click()
    dialog = page.locator("#mcp-servers")
    await expect(dialog).to_be_visible()
    await expect(dialog).to_contain_text("Available Servers")
    await dialog.get_by_role("button", name="Connect", exact=True).click()
    await expect(page.get_by_text("MCP connected!")).to_be_visible()

    # The dialog moved to its list: the server with its tools.
    await expect(dialog.get_by_role("tab", name="My MCPs")).to_have_attribute(
        "data-state", "active"
    )
    await expect(dialog).to_contain_text("Docs")

    # Its own-server form: SSE (its default type), an allowed URL, JSON headers.
    await dialog.get_by_role("tab", name="Connect an MCP").click()
    await dialog.locator("#server-name").fill("events")
    await dialog.locator("#server-url").fill(sse_server.replace("/sse", "/elsewhere"))
    await dialog.locator("#headers").fill('{"Authorization": "Bearer stock"}')
    confirm = dialog.get_by_role("button", name=re.compile("Confirm", re.I))
    await confirm.click()
    await expect(page.get_by_text(re.compile(r"user_servers\.allowed_urls"))).to_be_visible()
    await dialog.locator("#server-url").fill(sse_server)
    await confirm.click()
    await expect(page.get_by_text("MCP added!")).to_be_visible()
    await page.keyboard.press("Escape")

    await _ask(page, "tools", "events.whoami")
    await _ask(page, 'add {"a": 2, "b": 40}', "42")
    await expect(steps(page, "tool")).to_contain_text(["add"])
