"""Password login: redirect to /login, a refused password, sign in, sign out."""

from __future__ import annotations

from pathlib import Path

import httpx
from playwright.async_api import expect

from tests.browser.conftest import OpenPage, save_screenshot
from tests.browser.test_chat import ASSISTANT, send
from tests.support.fixtures import StackFactory
from tests.support.signin import login_required

APPS = Path(__file__).parent / "apps"
SECRET = "browser-test-secret-" + "y" * 40
# Thread history routes may not exist yet: the browser logs their 404/405 itself.
HISTORY_MISSING = (r"status of 40[45]",)


async def _login_required(url: str) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        await login_required(http)


async def test_password_login_and_logout(open_page: OpenPage, make_stack: StackFactory) -> None:
    stack = make_stack(APPS / "login_app.py", extra_env={"CHAINLIT_AUTH_SECRET": SECRET})
    await _login_required(stack.url)
    page = await open_page(stack.url, allow_console=(r"status of 401", *HISTORY_MISSING))

    await expect(page).to_have_url(f"{stack.url}/login")
    await expect(page.get_by_role("heading", name="Sign in to continue")).to_be_visible()
    await expect(page.get_by_label("Email")).to_be_focused()
    await save_screenshot(page, "login-dark.png")

    await page.get_by_label("Email").fill("alice")
    await page.get_by_label("Password").fill("wrong")
    await page.get_by_label("Password").press("Enter")
    await expect(page.get_by_test_id("login-error")).to_have_text(
        "Sign in failed: check your credentials"
    )
    await expect(page).to_have_url(f"{stack.url}/login")

    await page.get_by_label("Password").fill("correct horse battery")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(f"{stack.url}/")
    await expect(page.locator(ASSISTANT).first).to_contain_text("Welcome alice.")
    await send(page, "hello")
    await expect(page.locator(ASSISTANT).last).to_contain_text("echo: hello")

    await page.get_by_role("button", name="Logout (alice)").click()
    await expect(page).to_have_url(f"{stack.url}/login")
    await expect(page.get_by_role("heading", name="Sign in to continue")).to_be_visible()


async def test_phone_header_names_new_chat_and_keeps_logout_apart(
    open_page: OpenPage, make_stack: StackFactory
) -> None:
    stack = make_stack(APPS / "login_app.py", extra_env={"CHAINLIT_AUTH_SECRET": SECRET})
    await _login_required(stack.url)
    page = await open_page(
        stack.url,
        width=390,
        height=844,
        is_mobile=True,
        has_touch=True,
        allow_console=(r"status of 401", *HISTORY_MISSING),
    )
    await page.get_by_label("Email").fill("alice")
    await page.get_by_label("Password").fill("correct horse battery")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator(ASSISTANT).first).to_contain_text("Welcome alice.")

    new_chat = page.get_by_role("button", name="New chat", exact=True)
    await expect(new_chat).to_be_visible()
    logout = page.get_by_role("button", name="Logout (alice)")
    await expect(logout).to_be_visible()
    new_box = await new_chat.bounding_box()
    out_box = await logout.bounding_box()
    assert new_box is not None and out_box is not None
    for box in (new_box, out_box):
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
        assert box["width"] >= 32 and box["height"] >= 32, box
    # A slip of the thumb from one must not land on the other.
    gap = max(out_box["x"] - (new_box["x"] + new_box["width"]), new_box["x"] - out_box["x"] - 48)
    assert gap >= 96, (new_box, out_box)
    # The label is hidden from sight only: the button is an icon on a phone.
    assert new_box["width"] <= 48, new_box
