"""The documentation's screenshots (docs/screenshots/, `make screenshots`): the first page,
a conversation, steps, elements, chat settings, login and a phone, each taken once the
page shows what it is meant to show (the checks make a broken screen fail, not a picture
of it)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from switchboard.stack import LocalStack
from tests.browser.conftest import OpenPage, SharedStack, save_screenshot
from tests.browser.test_chat import ASSISTANT, send, wait_idle
from tests.browser.test_login import _login_required
from tests.support.fixtures import EXAMPLES, StackFactory

APPS = Path(__file__).parent / "apps"
WELCOME = APPS / "welcome_app"
SECRET = "browser-screenshots-secret-" + "s" * 40


@pytest.fixture
def showcase(shared_stack: SharedStack) -> LocalStack:
    return shared_stack(APPS / "showcase_app.py")


async def _ready(page: Page) -> None:
    await expect(page.locator(ASSISTANT).first).to_contain_text("Ask me about the quarter")
    await wait_idle(page)


async def _settle(page: Page) -> None:
    """No caret blinking or transitions half way in the picture."""
    await page.evaluate("document.activeElement && document.activeElement.blur()")
    await page.wait_for_timeout(200)


async def test_first_page(open_page: OpenPage, make_stack: StackFactory) -> None:
    stack = make_stack(WELCOME / "app.py", config_file=WELCOME / ".chainlit" / "config.toml")
    page = await open_page(stack.url)
    welcome = page.get_by_test_id("welcome")
    await expect(welcome.get_by_test_id("welcome-readme")).to_be_visible()
    await expect(page.get_by_test_id("starter")).to_have_count(3)
    await page.wait_for_function("() => [...document.images].every((i) => i.complete)")
    await _settle(page)
    await save_screenshot(page, "first-page.png")


async def test_conversation(open_page: OpenPage, showcase: LocalStack) -> None:
    page = await open_page(showcase.url)
    await _ready(page)
    await send(page, "How did the quarter go?")
    reply = page.locator(ASSISTANT).last
    await expect(reply.locator("table")).to_be_visible()
    await wait_idle(page)
    await _settle(page)
    await save_screenshot(page, "conversation.png")


async def test_steps(open_page: OpenPage, showcase: LocalStack) -> None:
    page = await open_page(showcase.url)
    await _ready(page)
    await send(page, "search quarterly reports")
    step = page.locator("[data-testid=step][data-step-name=search_reports]")
    await expect(step).to_have_count(1)
    await wait_idle(page)
    await step.locator(".step-head").click()
    await expect(step.get_by_test_id("step-output")).to_contain_text("3 reports match")
    await _settle(page)
    await save_screenshot(page, "steps.png")


async def test_elements(open_page: OpenPage, showcase: LocalStack) -> None:
    page = await open_page(showcase.url)
    await _ready(page)
    await send(page, "elements")
    message = page.locator(ASSISTANT).filter(has_text="The trend, the report")
    await expect(message.get_by_role("img", name="trend")).to_be_visible()
    pdf = message.get_by_test_id("pdf-viewer")
    await expect(pdf).to_have_attribute("data-drawn-page", "1")
    await expect(page.locator(".tasklist")).to_contain_text("Draw the chart")
    await wait_idle(page)
    await expect(message.get_by_role("button", name="method")).to_be_visible()
    await message.scroll_into_view_if_needed()
    await _settle(page)
    await save_screenshot(page, "elements.png")


async def test_settings(open_page: OpenPage, shared_stack: SharedStack) -> None:
    page = await open_page(shared_stack(EXAMPLES / "chat_settings.py").url)
    await expect(page.locator(ASSISTANT).first).to_contain_text("model=small")
    await wait_idle(page)
    await page.get_by_test_id("open-chat-settings").click()
    dialog = page.get_by_role("dialog", name="Settings")
    await expect(dialog.get_by_label("Model", exact=True)).to_be_visible()
    await save_screenshot(page, "settings.png")


async def test_login(open_page: OpenPage, make_stack: StackFactory) -> None:
    stack = make_stack(APPS / "login_app.py", extra_env={"CHAINLIT_AUTH_SECRET": SECRET})
    await _login_required(stack.url)
    page = await open_page(stack.url, allow_console=(r"status of 40[145]",))
    await expect(page.get_by_role("heading", name="Sign in to continue")).to_be_visible()
    await _settle(page)
    await save_screenshot(page, "login.png")


async def test_mobile(open_page: OpenPage, showcase: LocalStack) -> None:
    page = await open_page(showcase.url, width=390, height=844, is_mobile=True, has_touch=True)
    await _ready(page)
    await send(page, "How did the quarter go?")
    await expect(page.locator(ASSISTANT).last.locator("table")).to_be_visible()
    await wait_idle(page)
    await asyncio.sleep(0.1)
    await _settle(page)
    await save_screenshot(page, "mobile.png")
