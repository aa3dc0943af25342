"""The chat screen against examples/demo.py: greeting, streaming, steps, new chat,
reconnect, keyboard-only use, phone width, themes."""

from __future__ import annotations

from playwright.async_api import FrameLocator, Page, expect

from tests.browser.conftest import OpenPage, save_screenshot

GREETING = "Hello! I am the Switchboard demo. Say something."
ASSISTANT = "[data-testid=assistant-message]"
USER = "[data-testid=user-message]"
COMPOSER = "#composer-input"

# Records, from before a message is sent, every text an assistant message showed while
# it was marked streaming: proof that tokens were rendered before the final message.
WATCH_STREAMING = """() => {
  window.__streamed = [];
  new MutationObserver(() => {
    for (const el of document.querySelectorAll('[data-testid=assistant-message][data-streaming=true]')) {
      window.__streamed.push(el.querySelector('.msg-content').innerText);
    }
  }).observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true});
}"""


async def wait_for_greeting(page: Page) -> None:
    await expect(page.locator(ASSISTANT).first).to_contain_text(GREETING)
    await expect(page.locator(COMPOSER)).to_be_enabled()
    # The greeting can show before the chat start's task ends; until then Enter only
    # offers to stop, so a message typed now would not be sent.
    await wait_idle(page)


async def wait_idle(page: Page | FrameLocator) -> None:
    await expect(page.get_by_test_id("stop-button")).to_have_count(0)
    await expect(page.locator(f"{ASSISTANT}[data-streaming=true]")).to_have_count(0)


async def send(page: Page | FrameLocator, text: str) -> None:
    """Type and press Enter once the composer can send: while the socket (re)connects
    or a task runs, Enter does not send, as in Chainlit's UI."""
    await page.locator(COMPOSER).fill(text)
    await expect(page.get_by_test_id("send-button")).to_be_enabled()
    await page.locator(COMPOSER).press("Enter")


def reply_for(text: str) -> str:
    return f"You said: {text} ({len(text.split())} words)."


async def test_greeting_then_streamed_reply(open_page: OpenPage, demo_url: str) -> None:
    page = await open_page(demo_url)
    await wait_for_greeting(page)
    await expect(page).to_have_title("Assistant")
    await page.evaluate(WATCH_STREAMING)

    await send(page, "streaming is fun")

    user = page.locator(USER)
    await expect(user).to_have_count(1)
    await expect(user).to_contain_text("streaming is fun")
    await expect(page.locator(ASSISTANT).last).to_contain_text(reply_for("streaming is fun"))
    await wait_idle(page)
    streamed: list[str] = await page.evaluate("window.__streamed")
    partial = [text.strip() for text in streamed if text.strip() and "words)." not in text]
    assert partial, f"no partial render seen while streaming: {streamed[-5:]}"
    assert all(reply_for("streaming is fun").startswith(p) for p in partial), partial


async def test_tool_step_expands(open_page: OpenPage, demo_url: str) -> None:
    page = await open_page(demo_url)
    await wait_for_greeting(page)
    await send(page, "count these three")
    await wait_idle(page)

    step = page.locator("[data-testid=step][data-step-name=count_words]")
    await expect(step).to_have_count(1)
    head = step.locator(".step-head")
    await expect(head).to_contain_text("Used")
    await expect(head).to_have_attribute("aria-expanded", "false")
    await expect(step.get_by_test_id("step-output")).to_have_count(0)

    await head.click()
    await expect(head).to_have_attribute("aria-expanded", "true")
    await expect(step.get_by_test_id("step-output")).to_contain_text("3 words")
    await expect(step).to_contain_text('"text": "count these three"')
    await expect(step.locator(".step-duration")).to_contain_text("ms")

    await head.click()
    await expect(head).to_have_attribute("aria-expanded", "false")


async def test_new_chat_starts_a_fresh_session(open_page: OpenPage, demo_url: str) -> None:
    page = await open_page(demo_url)
    await wait_for_greeting(page)
    first_session = await page.evaluate("window.__switchboardSocket.auth.sessionId")
    await send(page, "remember me")
    await expect(page.locator(ASSISTANT).last).to_contain_text(reply_for("remember me"))
    await wait_idle(page)

    await page.get_by_test_id("new-chat").click()
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_contain_text("Create new chat")
    await dialog.get_by_role("button", name="Confirm").click()

    await expect(page.locator(USER)).to_have_count(0)
    await wait_for_greeting(page)
    await expect(page.locator(ASSISTANT)).to_have_count(1)
    second_session = await page.evaluate("window.__switchboardSocket.auth.sessionId")
    assert second_session != first_session
    await expect(page.locator(COMPOSER)).to_be_focused()

    await send(page, "fresh start")
    await expect(page.locator(ASSISTANT).last).to_contain_text(reply_for("fresh start"))


async def test_reconnect_after_socket_drop_keeps_the_conversation(
    open_page: OpenPage, demo_url: str
) -> None:
    page = await open_page(demo_url)
    await wait_for_greeting(page)
    session_id = await page.evaluate("window.__switchboardSocket.auth.sessionId")
    await send(page, "before the drop")
    await expect(page.locator(ASSISTANT).last).to_contain_text(reply_for("before the drop"))
    await wait_idle(page)
    thread_id = await page.evaluate("window.__switchboardStore.current.threadId")
    assert thread_id
    assert await page.evaluate("window.__switchboardSocket.auth.threadId") == thread_id

    await page.locator(COMPOSER).fill("after the drop")
    await expect(page.get_by_test_id("send-button")).to_be_enabled()
    await page.evaluate("window.__switchboardSocket.io.engine.close()")
    banner = page.get_by_test_id("reconnecting")
    await expect(banner).to_be_visible()
    await expect(page.get_by_test_id("send-button")).to_be_disabled()
    await expect(banner).to_have_count(0, timeout=10_000)
    assert await page.evaluate("window.__switchboardSocket.connected")
    assert await page.evaluate("window.__switchboardSocket.auth.sessionId") == session_id

    await page.locator(COMPOSER).press("Enter")
    await expect(page.locator(ASSISTANT).last).to_contain_text(reply_for("after the drop"))
    await wait_idle(page)
    users = page.locator(USER)
    await expect(users).to_have_count(2)
    await expect(users.first).to_contain_text("before the drop")
    # The same session went on: on_chat_start did not run again.
    await expect(page.locator(ASSISTANT).filter(has_text=GREETING)).to_have_count(1)
    assert await page.evaluate("window.__switchboardStore.current.threadId") == thread_id


async def test_keyboard_only(open_page: OpenPage, demo_url: str) -> None:
    page = await open_page(demo_url)
    await wait_for_greeting(page)
    await page.locator("body").focus()

    await page.keyboard.press("Tab")
    await expect(page.locator(".skip-link")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.locator(COMPOSER)).to_be_focused()

    await page.keyboard.type("line one")
    await page.keyboard.press("Shift+Enter")
    await page.keyboard.type("line two")
    assert await page.locator(COMPOSER).input_value() == "line one\nline two"
    await page.keyboard.press("Enter")
    await expect(page.locator(USER)).to_contain_text("line two")
    await expect(page.locator(ASSISTANT).last).to_contain_text("You said: line one")
    await wait_idle(page)
    assert await page.locator(COMPOSER).input_value() == ""

    # Back from the composer with Shift+Tab to the step; Space opens it.
    head = page.locator("[data-testid=step] .step-head")
    for _ in range(20):
        await page.keyboard.press("Shift+Tab")
        if await page.evaluate("document.activeElement.classList.contains('step-head')"):
            break
    await expect(head).to_be_focused()
    outline = await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "the focused element shows no focus ring"
    await page.keyboard.press("Space")
    await expect(head).to_have_attribute("aria-expanded", "true")


async def test_multiline_message_keeps_its_line_breaks(open_page: OpenPage, demo_url: str) -> None:
    page = await open_page(demo_url)
    await wait_for_greeting(page)
    composer = page.locator(COMPOSER)
    await composer.click()
    await page.keyboard.type("first line")
    await page.keyboard.press("Shift+Enter")
    await page.keyboard.type("second line")
    await page.keyboard.press("Shift+Enter")
    await page.keyboard.type("third line")
    await page.keyboard.press("Enter")
    user = page.locator(USER)
    await expect(user).to_contain_text("third line")
    # innerText follows the layout: three lines drawn, not one joined line.
    text = await user.locator(".bubble").inner_text()
    assert text.strip().splitlines() == ["first line", "second line", "third line"], text
    line = await user.locator(".bubble p").first.evaluate(
        "p => parseFloat(getComputedStyle(p).lineHeight) || 16"
    )
    box = await user.locator(".bubble p").first.bounding_box()
    assert box is not None and box["height"] >= 2.5 * line, (box, line)
    await wait_idle(page)


async def test_phone_width_layout(open_page: OpenPage, demo_url: str) -> None:
    page = await open_page(demo_url, width=375, height=740, is_mobile=True, has_touch=True)
    await wait_for_greeting(page)
    await send(page, "a phone sized hello")
    await expect(page.locator(ASSISTANT).last).to_contain_text(reply_for("a phone sized hello"))
    await wait_idle(page)
    await page.locator("[data-testid=step] .step-head").click()

    scroll_width = await page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 375, f"the page scrolls sideways: {scroll_width}px"
    for selector in (COMPOSER, "[data-testid=send-button]", "[data-testid=new-chat]"):
        box = await page.locator(selector).bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375, (selector, box)
        assert box["y"] + box["height"] <= 740, (selector, box)
    target = await page.get_by_test_id("send-button").bounding_box()
    assert target is not None and target["width"] >= 32 and target["height"] >= 32
    await save_screenshot(page, "chat-phone.png")


async def test_theme_toggle_persists_and_screenshots(open_page: OpenPage, demo_url: str) -> None:
    page = await open_page(demo_url)
    await wait_for_greeting(page)
    # The server's default theme (config default_theme, dark) applies first.
    await expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    await send(page, "show me **markdown** with `code`")
    await expect(page.locator(ASSISTANT).last).to_contain_text("You said:")
    await wait_idle(page)
    await page.locator("[data-testid=step] .step-head").click()
    await page.locator(COMPOSER).blur()
    await page.mouse.move(5, 400)
    await save_screenshot(page, "chat-dark.png")

    await page.get_by_test_id("theme-toggle").click()
    await expect(page.locator("html")).to_have_attribute("data-theme", "light")
    assert await page.evaluate("localStorage.getItem('theme')") == "light"
    background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(255, 255, 255)"
    await page.mouse.move(5, 400)
    await save_screenshot(page, "chat-light.png")

    await page.reload()
    await wait_for_greeting(page)
    await expect(page.locator("html")).to_have_attribute("data-theme", "light")
