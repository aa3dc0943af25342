"""Reloading a chat goes on with its live session (within the disconnect grace): the
conversation, its replayed state (actions) and a composer, with the same session on
the server. A chat whose session ended is read-only when the app cannot resume it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from switchboard.stack import LocalStack
from tests.browser.conftest import OpenPage, SharedStack
from tests.browser.test_chat import ASSISTANT, COMPOSER, USER, send, wait_idle
from tests.browser.test_history import UNAUTHENTICATED, _login_required

APP = Path(__file__).parent / "apps" / "live_app.py"
SECRET = "browser-live-session-secret-" + "q" * 40
GREETING = "Hello, let us talk."
READ_ONLY = "This conversation is read-only."


@pytest.fixture
def live_stack(shared_stack: SharedStack) -> LocalStack:
    stack = shared_stack(APP, extra_env={"CHAINLIT_AUTH_SECRET": SECRET})
    asyncio.run(_login_required(stack.url))
    return stack


async def _until_listed(page: Page, url: str, thread_id: str, timeout: float = 30) -> None:
    """Until the signed-in user's thread list (the REST call the sidebar makes) has it."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        response = await page.request.post(
            f"{url}/project/threads",
            data={"pagination": {"first": 20}, "filter": {}},
            headers={"Origin": url},
        )
        assert response.ok, f"thread list: {response.status}"
        if any(t["id"] == thread_id for t in (await response.json())["data"]):
            return
        assert asyncio.get_running_loop().time() < deadline, f"{thread_id} never stored"
        await asyncio.sleep(0.2)


async def _sign_in(open_page: OpenPage, url: str, user: str) -> Page:
    page = await open_page(f"{url}/login", allow_console=UNAUTHENTICATED)
    await page.get_by_label("Email").fill(user)
    await page.get_by_label("Password").fill(f"{user}-password")
    await page.get_by_label("Password").press("Enter")
    await expect(page.locator(ASSISTANT).first).to_contain_text(GREETING)
    await wait_idle(page)
    return page


async def _answer(page: Page, text: str, expected: str) -> None:
    await send(page, text)
    await expect(page.locator(ASSISTANT).last).to_contain_text(expected)
    await wait_idle(page)


async def _session_id(page: Page) -> str:
    return str(await page.evaluate("window.__switchboardSocket.auth.sessionId"))


async def test_reload_goes_on_with_the_live_session(
    open_page: OpenPage, live_stack: LocalStack
) -> None:
    page = await _sign_in(open_page, live_stack.url, "rita")
    session_id = await _session_id(page)
    await _answer(page, "toast", "#1 toast")
    await expect(page.locator(".toast.success")).to_have_count(1)
    await page.wait_for_url("**/thread/**")
    thread_url = page.url

    await page.reload()
    await expect(page.locator(USER)).to_have_text(["toast"])
    await expect(page.locator(ASSISTANT).filter(has_text="#1 toast")).to_have_count(1)
    # The same session: on_chat_start did not run again, and nothing is read-only.
    await expect(page.locator(ASSISTANT).filter(has_text=GREETING)).to_have_count(1)
    await expect(page.get_by_role("note").filter(has_text=READ_ONLY)).to_have_count(0)
    await expect(page.locator(COMPOSER)).to_be_enabled()
    assert await _session_id(page) == session_id
    # What only the session's stream holds came back (the greeting's action), and a
    # toast of before the reload is not shown again.
    await page.get_by_role("button", name="Ping").click()
    await expect(page.locator(ASSISTANT).last).to_contain_text("pong after 1 messages")
    await wait_idle(page)
    await expect(page.locator(".toast")).to_have_count(0)

    # The conversation goes on in that session: its user_session counted on.
    await _answer(page, "after reload", "#2 after reload")
    assert page.url == thread_url
    await expect(page.locator(USER)).to_have_text(["toast", "after reload"])

    # Opened again from the history in this tab while still alive: still live.
    await page.goto(live_stack.url)
    await expect(page.locator(ASSISTANT).first).to_contain_text(GREETING)
    fresh_session = await _session_id(page)
    assert fresh_session != session_id
    sidebar = page.get_by_role("navigation", name="Past chats")
    await sidebar.get_by_test_id("thread-item").filter(has_text="toast").get_by_role("link").click()
    await expect(page).to_have_url(thread_url)
    await expect(page.locator(USER)).to_have_text(["toast", "after reload"])
    await expect(page.locator(COMPOSER)).to_be_enabled()
    assert await _session_id(page) == session_id
    await _answer(page, "third", "#3 third")


async def test_a_chat_whose_session_ended_is_read_only(
    open_page: OpenPage, live_stack: LocalStack
) -> None:
    page = await _sign_in(open_page, live_stack.url, "olga")
    await _answer(page, "remember this", "#1 remember this")
    await page.wait_for_url("**/thread/**")
    thread_url = page.url
    # The sidebar lists stored threads: under load the store can trail the reply.
    await _until_listed(page, live_stack.url, thread_url.rsplit("/", 1)[-1])

    # A new chat ends the session of the first one (the UI clears it).
    await page.get_by_test_id("new-chat").click()
    await page.get_by_role("dialog").get_by_role("button", name="Confirm").click()
    await expect(page.locator(USER)).to_have_count(0)
    await expect(page.locator(ASSISTANT).first).to_contain_text(GREETING)
    sidebar = page.get_by_role("navigation", name="Past chats")
    await (
        sidebar.get_by_test_id("thread-item")
        .filter(has_text="remember this")
        .get_by_role("link")
        .click()
    )
    await expect(page).to_have_url(thread_url)
    view = page.get_by_test_id("thread-view")
    await expect(view.get_by_role("note")).to_have_text(READ_ONLY)
    await expect(view.locator(USER)).to_have_text(["remember this"])
    await expect(page.locator(COMPOSER)).to_have_count(0)

    # A session this tab still names but the server has ended: refused, so read-only
    # too, and no new session starts in its place.
    thread_id = thread_url.rsplit("/", 1)[-1]
    gone = "6f1c1b2e-8a43-4c1e-9d55-3d8f9a1b2c3d"
    await page.evaluate(
        "([thread, session]) => sessionStorage.setItem("
        "'switchboard.liveSessions', JSON.stringify([[thread, session]]))",
        [thread_id, gone],
    )
    await page.reload()
    view = page.get_by_test_id("thread-view")
    await expect(view.get_by_role("note")).to_have_text(READ_ONLY)
    await expect(page.locator(COMPOSER)).to_have_count(0)
    assert await _session_id(page) != gone
