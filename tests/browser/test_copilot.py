"""The copilot widget: a host page loads /copilot/index.js, mounts the chat in a frame,
answers the app's CopilotFunction calls and trades window messages with it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.async_api import expect

from switchboard.stack import LocalStack
from tests.browser.conftest import OpenPage
from tests.browser.test_chat import ASSISTANT, send
from tests.support.fixtures import StackFactory

APP = Path(__file__).parent / "apps" / "copilot_app"


@pytest.fixture
def copilot_stack(make_stack: StackFactory) -> LocalStack:
    return make_stack(APP / "app.py")


async def test_widget_on_a_host_page(open_page: OpenPage, copilot_stack: LocalStack) -> None:
    page = await open_page(f"{copilot_stack.url}/public/host.html")
    launcher = page.get_by_role("button", name="Open chat")
    await expect(launcher).to_have_attribute("aria-expanded", "false")
    await launcher.click()
    await expect(page.get_by_role("button", name="Close chat")).to_have_attribute(
        "aria-expanded", "true"
    )
    chat = page.frame_locator("iframe[title=Chat]")
    await expect(chat.locator(ASSISTANT).first).to_contain_text(
        "Copilot app ready (client copilot)."
    )

    # The app's CopilotFunction is answered by the host page's chainlit-call-fn listener.
    await send(chat, "title")
    await expect(chat.locator(ASSISTANT).last).to_contain_text("The page is called Host page.")

    # send_window_message reaches the host page; the host page's own message reaches
    # the app's on_window_message.
    await send(chat, "ping")
    await expect(page.locator("#received li")).to_have_text(["pong"])
    await page.evaluate("window.postMessage({from: 'host', text: 'hello'}, '*')")
    await expect(chat.locator(ASSISTANT).last).to_contain_text("The page said hello.")

    # The host page can write in the chat and knows the thread.
    await page.evaluate("window.sendChainlitMessage('from the page')")
    await expect(chat.locator(ASSISTANT).last).to_contain_text("echo: from the page")
    thread = await page.evaluate("window.getChainlitCopilotThreadId()")
    assert isinstance(thread, str) and thread

    await page.get_by_role("button", name="Close chat").click()
    await expect(page.locator("iframe[title=Chat]")).to_be_hidden()


async def test_widget_script_is_served(web_build: Path, copilot_stack: LocalStack) -> None:
    async with httpx.AsyncClient(base_url=copilot_stack.url, timeout=10) as client:
        answer = await client.get("/copilot/index.js")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/javascript")
    assert "mountChainlitWidget" in answer.text
    assert "import " not in answer.text.split("\n", 1)[0]
