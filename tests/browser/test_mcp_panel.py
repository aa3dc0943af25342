"""The MCP button and dialog, driven in Chromium against real MCP test servers.

The app is ``tests/apps/mcp_app.py`` (header login); the servers are the suite's
``tests/support/mcp_server.py``: one configured in ``[[features.mcp.servers]]`` over
streamable HTTP, one the user adds over stdio. Refusals (an executable the config does
not allow, a URL outside the allow-list, a server that does not answer) are shown in
the dialog; a tool call from a message shows as a step.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from playwright.async_api import Locator, Page, expect

from switchboard.stack import free_port
from tests.browser.conftest import OpenPage
from tests.browser.test_chat import ASSISTANT, send
from tests.e2e.test_mcp import CONFIG, SECRET, SERVER, _config
from tests.e2e.test_mcp import http_server as http_server  # the fixture
from tests.support.fixtures import TEST_APPS, StackFactory

TOOLS = ["add", "big", "echo", "env", "slow", "whoami"]


def _server(page: Page, name: str) -> Locator:
    return (
        page.get_by_role("dialog")
        .get_by_role("listitem")
        .filter(has=page.get_by_role("heading", name=name, exact=True))
    )


async def test_mcp_dialog_adds_lists_and_removes_servers_and_shows_refusals(
    open_page: OpenPage, make_stack: StackFactory, tmp_path: Path, http_server: str
) -> None:
    dead = f"http://127.0.0.1:{free_port()}/mcp"
    config = (
        CONFIG
        + f"""
[features.mcp.user_servers]
enabled = true
allowed_urls = ["{http_server}", "{dead}"]

[[features.mcp.servers]]
name = "Docs"
type = "streamable-http"
url = "{http_server}"
headers = {{ Authorization = "Bearer operator-secret" }}
"""
    )
    stack = make_stack(
        TEST_APPS / "mcp_app.py",
        config_file=_config(tmp_path, config),
        # The default time limits: a loaded machine starts the stdio server slowly.
        extra_env={"CHAINLIT_AUTH_SECRET": SECRET},
    )
    page = await open_page(
        stack.url,
        extra_http_headers={"x-test-user": "alice"},
        # Before the header login, and the refused requests below: the browser logs them.
        allow_console=(r"status of 401", r"status of 400"),
    )
    button = page.get_by_role("button", name=re.compile(r"^MCP servers"))
    await expect(button).to_be_enabled()
    # The configured server opened with the chat: the button counts it.
    await expect(button).to_have_accessible_name("MCP servers (1)")
    await button.click()
    dialog = page.get_by_role("dialog", name="MCP servers")
    await expect(dialog).to_be_visible()

    docs = _server(page, "Docs")
    await expect(docs.get_by_test_id("mcp-state")).to_have_text("Connected")
    await expect(docs).to_contain_text("Set up by this app")
    await expect(docs).to_contain_text("6 tool(s)")
    # Its address and headers stay the operator's.
    await expect(dialog).not_to_contain_text("operator-secret")
    await expect(dialog).not_to_contain_text(http_server)

    # Only the transports the config enables are offered.
    transport = dialog.get_by_label("Transport")
    options = await transport.locator("option").all_inner_texts()
    assert options == ["stdio", "Streamable HTTP", "SSE"]

    # An executable the config does not allow: the worker's refusal, shown as an alert.
    await dialog.get_by_label("Name", exact=True).fill("shell")
    await dialog.get_by_label("Command").fill("sh -c id")
    await dialog.get_by_role("button", name="Connect", exact=True).click()
    alert = dialog.get_by_test_id("mcp-error")
    await expect(alert).to_have_attribute("role", "alert")
    await expect(alert).to_contain_text("'sh' is not allowed")
    await expect(_server(page, "shell")).to_have_count(0)

    # The allowed Python runs the test server over stdio.
    await dialog.get_by_label("Name", exact=True).fill("local")
    await dialog.get_by_label("Command").fill(f"{sys.executable} {SERVER} stdio")
    await dialog.get_by_role("button", name="Connect", exact=True).click()
    local = _server(page, "local")
    await expect(local.get_by_test_id("mcp-state")).to_have_text("Connected", timeout=30_000)
    await expect(alert).to_have_count(0)
    await local.get_by_text("6 tool(s)").click()
    tools = local.get_by_role("list", name="Tools of local")
    await expect(tools.get_by_role("listitem")).to_have_text(TOOLS)
    await expect(button).to_have_accessible_name("MCP servers (2)")

    # HTTP: a URL outside the allow-list, a malformed header, a server that is not there.
    await transport.select_option("streamable-http")
    await dialog.get_by_label("Name", exact=True).fill("far")
    url = dialog.get_by_label("URL")
    await url.fill("http://127.0.0.1:9/elsewhere")
    await dialog.get_by_role("button", name="Connect", exact=True).click()
    await expect(alert).to_contain_text("features.mcp.user_servers.allowed_urls")
    await url.fill(dead)
    await dialog.get_by_label("Headers").fill("no colon on this line")
    await dialog.get_by_role("button", name="Connect", exact=True).click()
    await expect(alert).to_have_text("Line 1: write each header as Name: value")
    await dialog.get_by_label("Headers").fill("Authorization: Bearer user-secret")
    await dialog.get_by_role("button", name="Connect", exact=True).click()
    await expect(alert).to_contain_text("Could not connect to the MCP server", timeout=45_000)
    await expect(_server(page, "far")).to_have_count(0)

    # A tool called from a message shows as a step under the answer.
    await dialog.get_by_role("button", name="Close").click()
    await expect(dialog).to_be_hidden()
    await send(page, 'call local add {"a": 2, "b": 40}')
    await expect(page.locator(ASSISTANT).last).to_contain_text("result: 42")
    step = page.locator("[data-testid=step][data-step-name=add]")
    await expect(step).to_have_count(1)

    # Reloaded, the chat goes on with its live session: the dialog lists what it holds.
    await page.wait_for_url("**/thread/**")
    await page.reload()
    await expect(page.locator(ASSISTANT).last).to_contain_text("result: 42")
    await expect(button).to_have_accessible_name("MCP servers (2)")
    await button.click()
    await expect(_server(page, "local").get_by_test_id("mcp-state")).to_have_text("Connected")
    await expect(_server(page, "local")).to_contain_text("6 tool(s)")
    await expect(_server(page, "Docs")).to_contain_text("6 tool(s)")

    # Remove the stdio server: it leaves the list and the count.
    await _server(page, "local").get_by_role("button", name="Remove local").click()
    await expect(_server(page, "local")).to_have_count(0)
    await expect(button).to_have_accessible_name("MCP servers (1)")
    await dialog.get_by_role("button", name="Close").click()
    await send(page, "tools")
    await expect(page.locator(ASSISTANT).last).to_contain_text('"held": ["Docs"]')
