"""Favourite messages ([features] favorites = true): a signed-in user stars a message
they sent, finds it in the composer's favourites list in a new chat (stored by the
persistence service, so it outlives the session), reuses it, and removes it; another
user sees none of it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from switchboard.stack import LocalStack
from tests.browser.conftest import OpenPage, SharedStack
from tests.browser.test_chat import ASSISTANT, COMPOSER, USER, wait_idle
from tests.browser.test_history import _login_required, answer, full_stack, sign_in

APPS = Path(__file__).parent / "apps"
SECRET = "browser-favorites-secret-" + "f" * 40
CONFIG = "[features]\nfavorites = true\n"
__all__ = ("full_stack",)  # the feature-off stack, shared with test_history


@pytest.fixture
def favorites_stack(shared_stack: SharedStack) -> LocalStack:
    stack = shared_stack(
        APPS / "full_app.py", config=CONFIG, extra_env={"CHAINLIT_AUTH_SECRET": SECRET}
    )
    asyncio.run(_login_required(stack.url))
    return stack


async def _open_list(page: Page) -> None:
    button = page.get_by_test_id("favorites-button")
    await expect(button).to_be_enabled()
    if await button.get_attribute("aria-expanded") != "true":
        await button.click()
    await expect(page.get_by_test_id("favorites-panel")).to_be_visible()


async def test_star_a_message_then_reuse_it_in_a_new_chat(
    open_page: OpenPage, favorites_stack: LocalStack
) -> None:
    page = await sign_in(open_page, favorites_stack.url, user="hana")
    await _open_list(page)
    panel = page.get_by_test_id("favorites-panel")
    await expect(panel).to_contain_text("No favourites yet")
    await page.keyboard.press("Escape")
    await expect(panel).to_have_count(0)

    await answer(page, "Summarise the week's tickets", "echo: Summarise the week's tickets")
    await answer(page, "unrelated", "echo: unrelated")
    mine = page.locator(USER).filter(has_text="Summarise the week's tickets")
    star = mine.get_by_test_id("favorite-star")
    await mine.hover()
    await expect(star).to_have_attribute("aria-pressed", "false")
    await star.click()
    await expect(star).to_have_attribute("aria-pressed", "true")
    # Only that message is a favourite.
    other = page.locator(USER).filter(has_text="unrelated").get_by_test_id("favorite-star")
    await expect(other).to_have_attribute("aria-pressed", "false")

    # A new chat (a new session): the list comes from storage.
    await page.get_by_test_id("new-chat").click()
    await page.get_by_role("dialog").get_by_role("button", name="Confirm").click()
    await expect(page.locator(USER)).to_have_count(0)
    await wait_idle(page)
    await _open_list(page)
    items = page.get_by_test_id("favorite-item")
    await expect(items).to_have_count(1)
    await expect(items.first).to_contain_text("Summarise the week's tickets")
    await items.first.get_by_role("button").first.click()
    await expect(page.get_by_test_id("favorites-panel")).to_have_count(0)
    await expect(page.locator(COMPOSER)).to_have_value("Summarise the week's tickets")
    await expect(page.locator(COMPOSER)).to_be_focused()
    await page.locator(COMPOSER).press("Enter")
    await expect(page.locator(ASSISTANT).last).to_contain_text("echo: Summarise the week's tickets")
    await wait_idle(page)

    # Another user has favourites of their own: none.
    other_page = await sign_in(open_page, favorites_stack.url, user="sam")
    await wait_idle(other_page)
    await _open_list(other_page)
    await expect(other_page.get_by_test_id("favorites-panel")).to_contain_text("No favourites yet")

    # Removed from the list: gone from it, and from storage (a reload keeps it gone).
    await _open_list(page)
    await page.get_by_test_id("favorite-remove").click()
    await expect(page.get_by_test_id("favorites-panel")).to_contain_text("No favourites yet")
    await page.reload()
    await expect(page.locator(ASSISTANT).first).to_be_visible()
    await wait_idle(page)
    await _open_list(page)
    await expect(page.get_by_test_id("favorites-panel")).to_contain_text("No favourites yet")


async def test_no_stars_without_the_feature(open_page: OpenPage, full_stack: LocalStack) -> None:
    page = await sign_in(open_page, full_stack.url, user="gerd")
    await answer(page, "starred?", "echo: starred?")
    await expect(page.locator(USER).get_by_test_id("favorite-star")).to_have_count(0)
    await expect(page.get_by_test_id("favorites-button")).to_have_count(0)
