"""Password login: redirect to /login, a refused password, sign in, sign out."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from playwright.async_api import expect

from tests.browser.conftest import OpenPage, save_screenshot
from tests.browser.test_chat import ASSISTANT, send
from tests.support.fixtures import StackFactory

APPS = Path(__file__).parent / "apps"
SECRET = "browser-test-secret-" + "y" * 40
# Thread history routes may not exist yet: the browser logs their 404/405 itself.
HISTORY_MISSING = (r"status of 40[45]",)


async def _login_required(url: str) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        for _ in range(150):
            if (await http.get("/auth/config")).json().get("requireLogin"):
                return
            await asyncio.sleep(0.1)
    raise AssertionError("login never became required")


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
