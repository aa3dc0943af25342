"""Chainlit 2.12's own web UI, unchanged, against a Switchboard stack.

The gateway speaks Chainlit's Socket.IO protocol and REST API, so the stock frontend
from the Chainlit wheel (``chainlit/frontend/dist``, installed by
``tests/support/reference.py``) must work on it as it does on Chainlit's server. The
gateway serves that folder instead of ours when ``SWITCHBOARD_WEB_DIST`` names it. Each
test drives one flow in headless Chromium and asserts what the stock UI draws, through
the ids and roles its markup carries (``#chat-input``, ``#chat-submit``, ``.step`` with
``data-step-type``, ``#chat-settings``, ``#side-view-*``).

Requests to other hosts (the stock page links Google Fonts and a KaTeX stylesheet on a
CDN; an example's video) are answered empty here, so that the tests need no network and
any console error left is one of the page's own.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Route,
    async_playwright,
    expect,
)

from tests.support.fixtures import EXAMPLES, REPO, StackFactory
from tests.support.reference import reference_venv

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]
LOGIN_APP = REPO / "tests/browser/apps/login_app.py"
SECRET = "stock-ui-test-secret-" + "z" * 40
GREETING = "Hello! I am the Switchboard demo. Say something."
# Anything not served by the stack under test (127.0.0.1).
_ELSEWHERE = re.compile(r"^https?://(?!127\.0\.0\.1[:/])")

OpenStock = Callable[..., Awaitable[Page]]


@pytest.fixture(scope="module")
def stock_dist() -> Path:
    """Chainlit's built UI from the reference wheel; a missing one fails the tests."""
    venv = reference_venv()
    dist = venv / "lib/python3.11/site-packages/chainlit/frontend/dist"
    if not (dist / "index.html").is_file() or not (dist / "assets").is_dir():
        pytest.fail(f"the Chainlit wheel in {venv} holds no built UI at {dist}")
    return dist


@pytest.fixture(scope="module")
async def stock_browser() -> AsyncIterator[Browser]:
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


async def _nothing_elsewhere(route: Route) -> None:
    await route.fulfill(status=204, body="")


@pytest.fixture
async def open_stock(
    stock_browser: Browser, stock_dist: Path, make_stack: StackFactory
) -> AsyncIterator[OpenStock]:
    """Start a stack serving the stock UI for an app and open it in a fresh context.

    Uncaught page errors and console errors fail the test, except those matching
    ``allow_console``. Depends on ``make_stack`` so that pages close before their stack.
    """
    contexts: list[BrowserContext] = []
    errors: list[str] = []
    allowed: list[re.Pattern[str]] = []

    def console(message: ConsoleMessage) -> None:
        if message.type == "error" and not any(p.search(message.text) for p in allowed):
            errors.append(f"console: {message.text}")

    def page_error(error: Any) -> None:
        errors.append(f"pageerror: {error}")

    async def factory(
        app: Path, *, extra_env: dict[str, str] | None = None, allow_console: tuple[str, ...] = ()
    ) -> Page:
        env = {"SWITCHBOARD_WEB_DIST": str(stock_dist), **(extra_env or {})}
        stack = make_stack(app, extra_env=env)
        allowed.extend(re.compile(pattern) for pattern in allow_console)
        context = await stock_browser.new_context(viewport={"width": 1280, "height": 800})
        contexts.append(context)
        await context.route(_ELSEWHERE, _nothing_elsewhere)
        page = await context.new_page()
        page.set_default_timeout(15_000)
        page.on("console", console)
        page.on("pageerror", page_error)
        await page.goto(stack.url)
        return page

    yield factory
    for context in contexts:
        await context.close()
    assert not errors, "\n".join(errors)


def steps(page: Page, kind: str) -> Any:
    """The drawn steps of one type (``assistant_message``, ``user_message``, ``tool``)."""
    return page.locator(f'.step[data-step-type="{kind}"]')


async def wait_idle(page: Page) -> None:
    """No task running: the composer's button is Submit again, not Stop."""
    await expect(page.locator("#stop-button")).to_have_count(0)
    await expect(page.locator("#chat-submit")).to_be_visible()


async def send(page: Page, text: str) -> None:
    await page.locator("#chat-input").fill(text)
    await expect(page.locator("#chat-submit")).to_be_enabled()
    await page.locator("#chat-submit").click()


async def stock_page_served(page: Page, stock_dist: Path) -> None:
    """The page is Chainlit's build: its hashed entry script, templated by the gateway."""
    entry = re.search(r'src="(/assets/index-[^"]+\.js)"', (stock_dist / "index.html").read_text())
    assert entry is not None, "the stock index.html names no entry script"
    await expect(page.locator(f'script[src="{entry.group(1)}"]')).to_have_count(1)
    await expect(page.locator('meta[property="og:root_path"]')).to_have_count(1)
    await expect(page.locator('link[rel="icon"]')).to_have_attribute("href", "/favicon")
    # The app's public/ has no favicon or logo: the stock build's own are the defaults.
    async with httpx.AsyncClient(base_url=page.url, timeout=10) as http:
        for path, name in (("/favicon", "favicon.svg"), ("/logo?theme=dark", "logo_dark.svg")):
            served = await http.get(path)
            assert served.status_code == 200, (path, served.status_code)
            assert served.content == (stock_dist / name).read_bytes(), path


async def test_echo(open_stock: OpenStock, stock_dist: Path) -> None:
    page = await open_stock(EXAMPLES / "demo.py")
    await stock_page_served(page, stock_dist)
    await expect(page).to_have_title("Assistant")

    await expect(steps(page, "assistant_message")).to_have_text([GREETING])
    await expect(page.locator("#chat-input")).to_be_editable()
    await wait_idle(page)

    await send(page, "hello there")
    await expect(steps(page, "user_message")).to_have_text(["hello there"])
    # The reply is streamed into one message: the greeting and it, nothing else.
    await expect(steps(page, "assistant_message")).to_have_text(
        [GREETING, "You said: hello there (2 words)."]
    )
    await expect(steps(page, "tool")).to_contain_text(["count_words"])
    await wait_idle(page)
    await expect(page.locator("#chat-input")).to_have_value("")


async def test_password_login_then_reload(open_stock: OpenStock) -> None:
    # Before sign-in the stock UI asks /user and logs the 401 it expects, and a refused
    # password is logged the same way.
    page = await open_stock(
        LOGIN_APP,
        extra_env={"CHAINLIT_AUTH_SECRET": SECRET},
        allow_console=(r"status of 401", r"Unauthorized"),
    )
    origin = page.url.rstrip("/")
    await expect(page).to_have_url(f"{origin}/login")
    email, password = page.locator("#email"), page.locator("#password")
    submit = page.locator('form button[type="submit"]')
    await expect(email).to_be_visible()
    await expect(password).to_have_attribute("type", "password")
    await expect(submit).to_be_enabled()

    await email.fill("alice")
    await password.fill("wrong")
    await submit.click()
    await expect(page.get_by_role("alert")).to_be_visible()
    await expect(page).to_have_url(f"{origin}/login")

    await password.fill("correct horse battery")
    await submit.click()
    await expect(page).to_have_url(f"{origin}/")
    await expect(steps(page, "assistant_message")).to_have_text(["Welcome alice."])
    await expect(page.locator("#user-nav-button")).to_have_text("A")
    await wait_idle(page)
    await send(page, "hi")
    await expect(steps(page, "assistant_message")).to_have_text(["Welcome alice.", "echo: hi"])
    cookies = {c["name"]: c for c in await page.context.cookies()}
    assert cookies["access_token"]["httpOnly"], cookies["access_token"]

    # Once the thread is stored the stock UI moves to its own URL (after the reply,
    # when its thread list has the new thread).
    thread_url = re.compile(rf"^{re.escape(origin)}/thread/[0-9a-f-]{{36}}$")
    await expect(page).to_have_url(thread_url, timeout=15_000)
    before = page.url

    await page.reload()
    # Still signed in: no login page, the user's menu, and the conversation resumed
    # from persistence on the same thread.
    await expect(page.locator("#user-nav-button")).to_have_text("A")
    await expect(page).to_have_url(before)
    await expect(steps(page, "user_message")).to_have_text(["hi"])
    await expect(steps(page, "assistant_message")).to_have_text(["Welcome alice.", "echo: hi"])
    await expect(page.locator("#email")).to_have_count(0)


async def test_ask_text_then_action(open_stock: OpenStock) -> None:
    page = await open_stock(EXAMPLES / "ask.py")
    await expect(steps(page, "assistant_message")).to_have_text(["What is your name?"])

    # A text ask is answered in the composer.
    await send(page, "Ada")
    await expect(steps(page, "user_message")).to_have_text(["Ada"])
    question = steps(page, "assistant_message").filter(has_text="Hello Ada! Tea or coffee?")
    await expect(question.get_by_role("button")).to_have_text(["Tea", "Coffee"])

    await question.get_by_role("button", name="Coffee").click()
    # The ask's message now says what was chosen, and the app went on with the answer.
    await expect(steps(page, "assistant_message")).to_have_text(
        ["What is your name?", "Selected: Coffee", "Ada drinks coffee."]
    )
    await expect(page.get_by_role("button", name="Tea")).to_have_count(0)
    await wait_idle(page)


async def test_elements(open_stock: OpenStock) -> None:
    page = await open_stock(EXAMPLES / "elements.py")
    message = steps(page, "assistant_message").filter(has_text="with a pixel.")
    await expect(message).to_have_count(1)

    # Inline image: as with Chainlit, the UI builds its address from the chainlitKey
    # (the gateway's /project/file route, for this session).
    image = message.locator("img.inline-image")
    await expect(image).to_have_attribute("alt", "pixel")
    await expect(image).to_have_attribute("src", re.compile(r"/project/file/[^/?]+\?session_id="))
    loaded = "img => img.complete && img.naturalWidth === 1"
    await page.wait_for_function(loaded, arg=await image.element_handle())

    # Side and page elements are drawn as links in the content; the file as a download.
    await expect(message.locator("a.element-link")).to_have_text(["notes", "paper"])
    file = message.locator("a.inline-file")
    await expect(file).to_have_attribute("download", "data.csv")
    href = await file.get_attribute("href")
    assert href is not None
    async with httpx.AsyncClient(base_url=page.url, timeout=10) as http:
        download = await http.get(href)
    assert download.status_code == 200 and download.content == b"a,b\n1,2\n", download

    # The custom element, compiled from examples/public/elements/Counter.jsx.
    await expect(message.locator(".inline-custom")).to_contain_text("Count: 3")

    # The element sidebar the app opened, then the side text element on click.
    await expect(page.locator("#side-view-title")).to_have_text("Sources")
    await expect(page.locator("#side-view-content")).to_contain_text("Where the numbers came from.")
    await message.locator("a.element-link", has_text="notes").click()
    await expect(page.locator("#side-view-title")).to_have_text("notes")
    await expect(page.locator("#side-view-content")).to_contain_text(
        "Some notes, shown in the side panel."
    )


async def test_chat_settings(open_stock: OpenStock) -> None:
    page = await open_stock(EXAMPLES / "chat_settings.py")
    await expect(steps(page, "assistant_message")).to_have_text(["model=small"])
    await wait_idle(page)

    await page.locator("#chat-settings-open-modal").click()
    dialog = page.locator("#chat-settings")
    await expect(dialog).to_be_visible()
    await expect(dialog.locator("#model")).to_have_text("small")
    await expect(dialog.locator("#max_tokens")).to_have_value("256")
    await expect(dialog.locator("#stream")).to_have_attribute("aria-checked", "true")
    slider = dialog.get_by_role("slider")
    await expect(slider).to_have_attribute("aria-valuenow", "1")

    await dialog.locator("#model").click()
    await page.get_by_role("option", name="large").click()
    await expect(dialog.locator("#model")).to_have_text("large")
    await slider.press("ArrowRight")
    await expect(slider).to_have_attribute("aria-valuenow", "1.1")
    # The stock UI sends an empty text field as null: the gateway must accept it.
    await expect(dialog.locator("#prefix")).to_have_value("")
    await dialog.get_by_role("button", name="Confirm").click()
    await expect(dialog).to_have_count(0)

    await expect(steps(page, "assistant_message")).to_have_text(
        ["model=small", "now model=large temp=1.1"]
    )

    # Reopened, the dialog shows the confirmed values.
    await page.locator("#chat-settings-open-modal").click()
    await expect(dialog.locator("#model")).to_have_text("large")
    await expect(dialog.get_by_role("slider")).to_have_attribute("aria-valuenow", "1.1")
