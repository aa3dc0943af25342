"""The first page before the conversation starts: the app's logo, a welcome and its
readme (chainlit.md), with the starters under them, all in the middle of the page, at
desktop and phone sizes; the first message replaces it with the conversation."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from switchboard.stack import LocalStack
from tests.browser.conftest import OpenPage
from tests.browser.test_chat import ASSISTANT, COMPOSER, USER
from tests.support.fixtures import StackFactory

APP = Path(__file__).parent / "apps" / "welcome_app"


@pytest.fixture
def welcome_stack(make_stack: StackFactory) -> LocalStack:
    # The config file in the app's .chainlit folder: chainlit.md beside it is the readme.
    return make_stack(APP / "app.py", config_file=APP / ".chainlit" / "config.toml")


async def _box(page: Page, selector: str) -> dict[str, float]:
    box = await page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return box


async def _check_first_page(page: Page, width: int) -> None:
    welcome = page.get_by_test_id("welcome")
    await expect(welcome).to_be_visible()
    await expect(welcome.get_by_role("heading", name="Welcome to Trip Helper")).to_be_visible()
    readme = welcome.get_by_test_id("welcome-readme")
    await expect(readme.get_by_role("heading", name="About Trip Helper")).to_be_visible()
    await expect(readme.locator("strong")).to_have_text("journeys by train")
    # The app's own logo (public/logo_<theme>.svg), loaded.
    logo = welcome.locator("img.welcome-logo")
    await expect(logo).to_have_attribute("src", "/logo?theme=dark")
    await page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=await logo.element_handle()
    )
    served = await page.evaluate("fetch('/logo?theme=dark').then((r) => r.text())")
    assert "welcome-app-logo-dark" in served

    starters = page.get_by_test_id("starter")
    await expect(starters).to_have_text(["Plan a trip", "Pack a bag", "Find a train"])
    await expect(starters.first).to_be_enabled()
    await expect(page.locator(ASSISTANT)).to_have_count(0)

    # Starters sit under the readme; the whole group is in the middle of the page.
    area = await _box(page, "[data-testid=messages]")
    top = await _box(page, "[data-testid=welcome]")
    readme_box = await _box(page, "[data-testid=welcome-readme]")
    boxes = [await starters.nth(i).bounding_box() for i in range(3)]
    assert all(box is not None for box in boxes)
    first_starter = boxes[0]
    last_starter = boxes[-1]
    assert first_starter is not None and last_starter is not None
    assert first_starter["y"] >= readme_box["y"] + readme_box["height"], (first_starter, readme_box)
    group_top = top["y"]
    group_bottom = last_starter["y"] + last_starter["height"]
    above = group_top - area["y"]
    below = area["y"] + area["height"] - group_bottom
    assert above > 40 and below > 40, (above, below)
    assert abs(above - below) < 80, (above, below)
    middle = top["x"] + top["width"] / 2
    assert abs(middle - (area["x"] + area["width"] / 2)) < 24, (top, area)

    scroll_width = await page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"the page scrolls sideways: {scroll_width}px"
    for box in (top, readme_box, *boxes):
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, box


async def test_first_page_welcomes_with_logo_readme_and_starters(
    open_page: OpenPage, welcome_stack: LocalStack
) -> None:
    page = await open_page(welcome_stack.url)
    await _check_first_page(page, 1280)

    # A starter begins the conversation: the welcome gives way to it.
    await page.get_by_test_id("starter").filter(has_text="Pack a bag").click()
    await expect(page.locator(USER)).to_have_text(["pack a bag"])
    await expect(page.locator(ASSISTANT).last).to_contain_text("echo: pack a bag")
    await expect(page.get_by_test_id("welcome")).to_have_count(0)
    await expect(page.get_by_test_id("starter")).to_have_count(0)


async def test_first_page_on_a_phone(open_page: OpenPage, welcome_stack: LocalStack) -> None:
    page = await open_page(welcome_stack.url, width=390, height=844, is_mobile=True, has_touch=True)
    await _check_first_page(page, 390)
    # One starter per row at this width, and the composer still in view.
    xs = {round((await _box(page, f"[data-testid=starter] >> nth={i}"))["x"]) for i in range(3)}
    assert len(xs) == 1, xs
    composer = await _box(page, COMPOSER)
    assert composer["y"] + composer["height"] <= 844
