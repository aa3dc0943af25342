"""Signed-in features against one shared stack (tests/browser/apps/full_app.py):
asks (file, custom element form), steps per ui.cot through chat profiles, elements
inline/side/page, spontaneous uploads (button and drag and drop), feedback, the history
sidebar (search, rename, delete), resuming after a reload, share links seen by another
user, and a German UI."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx
import pytest
from playwright.async_api import FilePayload, Page, expect

from switchboard.stack import LocalStack
from tests.browser.conftest import OpenPage, SharedStack, save_screenshot
from tests.browser.test_chat import ASSISTANT, COMPOSER, USER, send, wait_idle
from tests.support.signin import login_required

APPS = Path(__file__).parent / "apps"
SECRET = "browser-history-secret-" + "z" * 40
CONFIG = """
[features]
allow_thread_sharing = true

[features.spontaneous_file_upload]
enabled = true
accept = ["text/plain"]
max_files = 5
max_size_mb = 1
"""
# Before sign-in /user answers 401; the browser logs that itself.
UNAUTHENTICATED = (r"status of 401",)


@pytest.fixture
def full_stack(shared_stack: SharedStack) -> LocalStack:
    stack = shared_stack(
        APPS / "full_app.py", config=CONFIG, extra_env={"CHAINLIT_AUTH_SECRET": SECRET}
    )
    asyncio.run(_login_required(stack.url))
    return stack


async def _login_required(url: str) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        await login_required(http)


async def sign_in(
    open_page: OpenPage,
    url: str,
    user: str = "alice",
    allow_console: tuple[str, ...] = UNAUTHENTICATED,
    **options: object,
) -> Page:
    page = await open_page(f"{url}/login", allow_console=allow_console, **options)
    await page.get_by_label("Email").fill(user)
    await page.get_by_label("Password").fill(f"{user}-password")
    await page.get_by_label("Password").press("Enter")
    await expect(page).to_have_url(f"{url}/")
    await expect(page.locator(ASSISTANT).first).to_contain_text(f"Ready, {user}")
    return page


def payload(name: str, mime: str, data: bytes) -> FilePayload:
    return {"name": name, "mimeType": mime, "buffer": data}


async def answer(page: Page, text: str, expected: str) -> None:
    # While on_chat_start still runs, the composer only offers Stop.
    await wait_idle(page)
    await send(page, text)
    await expect(page.locator(ASSISTANT).last).to_contain_text(expected)
    await wait_idle(page)


async def test_ask_file_and_custom_element_form(
    open_page: OpenPage, full_stack: LocalStack
) -> None:
    page = await sign_in(open_page, full_stack.url)
    await wait_idle(page)
    await send(page, "ask file")
    ask = page.get_by_test_id("ask-file")
    await expect(ask).to_contain_text("Up to 1 file(s), 1 MB each")
    picker = ask.locator("input[type=file]")
    assert await picker.get_attribute("accept") == "text/plain"
    # Refused in the browser, before any upload: the ask stays open.
    await picker.set_input_files(files=[payload("photo.png", "image/png", b"\x89PNG")])
    await expect(ask.get_by_role("alert")).to_contain_text(
        "photo.png: this file type is not accepted"
    )
    await picker.set_input_files(files=[payload("note.txt", "text/plain", b"hello file\n")])
    await expect(page.locator(ASSISTANT).last).to_contain_text(
        "got note.txt (11 bytes): hello file"
    )
    await expect(ask).to_have_count(0)
    await wait_idle(page)

    await wait_idle(page)
    await send(page, "ask form")
    form = page.get_by_test_id("ask-element")
    await expect(form.get_by_label("Guest")).to_have_value("Ada")
    await expect(form.get_by_label("Nights")).to_have_value("2")
    await form.get_by_label("Guest").fill("Grace")
    await form.get_by_label("Nights").fill("3")
    await form.get_by_label("Breakfast").check()
    await form.get_by_role("button", name="Submit").click()
    await expect(page.locator(ASSISTANT).last).to_contain_text(
        "booked for Grace, 3 nights, breakfast=True"
    )
    await expect(form).to_have_count(0)
    await expect(page.locator(ASSISTANT).filter(has_text="Thanks for submitting")).to_have_count(1)

    await wait_idle(page)
    await send(page, "ask form")
    await page.get_by_test_id("ask-element").get_by_role("button", name="Cancel").click()
    await expect(page.locator(ASSISTANT).last).to_contain_text("booking cancelled")


async def test_steps_follow_cot_per_chat_profile(
    open_page: OpenPage, full_stack: LocalStack
) -> None:
    page = await sign_in(open_page, full_stack.url)
    profile = page.get_by_label("Chat profile")
    await expect(profile).to_have_value("Full")
    await answer(page, "steps", "It is sunny in Lyon.")
    steps = page.get_by_test_id("step")
    lookup = page.locator("[data-testid=step][data-step-name=lookup]")
    # cot = full: the tool and both llm steps; the nested one inside its parent.
    await expect(page.locator(".messages-inner > [data-testid=step]")).to_have_count(2)
    await expect(page.locator("[data-testid=step][data-step-name=plan]")).to_be_visible()
    await lookup.locator(".step-head").first.click()
    await expect(lookup.locator(".step-section").first).to_contain_text("weather in Lyon")
    await expect(lookup.get_by_test_id("step-output").last).to_contain_text("found 1 forecast")
    draft = lookup.locator("[data-testid=step][data-step-name=draft]")
    await expect(draft).to_be_visible()
    await draft.locator(".step-head").click()
    await expect(draft.get_by_test_id("step-output")).to_contain_text("sunny, 21 C")
    await draft.locator(".step-head").click()
    await expect(draft.locator(".step-head")).to_have_attribute("aria-expanded", "false")

    # cot = tool_call (profile override): only the tool step, without its llm child.
    await profile.select_option("Tools")
    await expect(page.locator(ASSISTANT).first).to_contain_text("Ready, alice (Tools)")
    await answer(page, "steps", "It is sunny in Lyon.")
    await expect(steps).to_have_count(1)
    await lookup.locator(".step-head").click()
    await expect(lookup.get_by_test_id("step-output")).to_contain_text("found 1 forecast")
    await expect(lookup.locator("[data-step-name=draft]")).to_have_count(0)

    # cot = hidden: no steps, the message still shows.
    await profile.select_option("Hidden")
    await expect(page.locator(ASSISTANT).first).to_contain_text("Ready, alice (Hidden)")
    await answer(page, "steps", "It is sunny in Lyon.")
    await expect(steps).to_have_count(0)


async def test_elements_inline_side_and_page(open_page: OpenPage, full_stack: LocalStack) -> None:
    page = await sign_in(open_page, full_stack.url)
    await answer(page, "elements", "Here are the elements.")
    message = page.locator(ASSISTANT).last
    image = message.locator("[data-testid=element][data-type=image] img")
    await expect(image).to_have_attribute("alt", "red square")
    await image.evaluate(
        "img => img.complete ? null : new Promise((ok) => img.addEventListener('load', ok))"
    )
    assert await image.evaluate("img => img.naturalWidth") == 2
    file_link = message.locator("[data-testid=element][data-type=file] a")
    await expect(file_link).to_have_attribute("download", "data.txt")
    table = message.locator("[data-testid=element][data-type=dataframe] table")
    await expect(table.locator("thead")).to_contain_text("city")
    await expect(table.locator("tbody tr")).to_have_count(2)
    await expect(table).to_contain_text("Lyon")
    tasklist = page.locator(".tasklist")
    await expect(tasklist).to_contain_text("Working")
    await expect(tasklist.locator(".task.done")).to_contain_text("Fetch data")
    await expect(tasklist.locator(".task.running")).to_contain_text("Draw chart")

    # display="side": the side panel.
    await message.get_by_role("button", name="notes").click()
    panel = page.get_by_role("complementary", name="notes")
    await expect(panel).to_contain_text("Side notes about Lyon.")
    await panel.get_by_role("button", name="Close").click()
    await expect(panel).to_have_count(0)

    # display="page": its own page, then back to the conversation.
    await message.get_by_role("button", name="report").click()
    await page.wait_for_url("**/element/**")
    pdf = page.locator("[data-testid=element][data-type=pdf]")
    await expect(pdf).to_be_visible()
    await expect(page.get_by_role("heading", name="report")).to_be_visible()
    await save_screenshot(page, "element-page.png")
    await page.get_by_role("button", name="Go back").click()
    await expect(page.locator(ASSISTANT).last).to_contain_text("Here are the elements.")
    assert "/element/" not in page.url


async def test_thumbs_on_replies_not_on_ask_prompts(
    open_page: OpenPage, full_stack: LocalStack
) -> None:
    page = await sign_in(open_page, full_stack.url)
    await answer(page, "thumbs please", "echo: thumbs please")
    reply = page.locator(ASSISTANT).filter(has_text="echo: thumbs please")
    await expect(reply.get_by_role("button", name="Helpful", exact=True)).to_have_count(1)
    await expect(reply.get_by_role("button", name="Not helpful")).to_have_count(1)
    # Feedback belongs to replies in a run: the on_chat_start greeting has no tools.
    greeting = page.locator(ASSISTANT).filter(has_text="Ready, alice")
    for name in ("Helpful", "Not helpful", "Copy to clipboard"):
        await expect(greeting.get_by_role("button", name=name, exact=True)).to_have_count(0)

    await send(page, "ask file")
    prompt = page.locator(ASSISTANT).filter(has_text="Send a text file")
    await expect(prompt.get_by_test_id("ask-file")).to_be_visible()
    await prompt.locator("input[type=file]").set_input_files(
        files=[payload("note.txt", "text/plain", b"hi\n")]
    )
    await expect(page.locator(ASSISTANT).last).to_contain_text("got note.txt")
    await wait_idle(page)
    for name in ("Helpful", "Not helpful", "Copy to clipboard"):
        await expect(prompt.get_by_role("button", name=name, exact=True)).to_have_count(0)
    got = page.locator(ASSISTANT).filter(has_text="got note.txt")
    await expect(got.get_by_role("button", name="Helpful", exact=True)).to_have_count(1)


async def _open_report(page: Page) -> None:
    await answer(page, "elements", "Here are the elements.")
    await page.locator(ASSISTANT).last.get_by_role("button", name="report").click()
    await page.wait_for_url("**/element/**")


async def test_pdf_page_is_drawn_with_open_and_download_links(
    open_page: OpenPage, full_stack: LocalStack
) -> None:
    page = await sign_in(open_page, full_stack.url)
    await _open_report(page)
    pdf = page.locator("[data-testid=element][data-type=pdf]")
    opener = pdf.get_by_test_id("pdf-open").last
    await expect(opener).to_be_visible()
    await expect(opener).to_have_accessible_name("Open report")
    download = pdf.get_by_test_id("pdf-download")
    await expect(download).to_have_attribute("download", "report.pdf")
    href = await download.get_attribute("href")
    assert href
    body = await page.evaluate(
        "url => fetch(url, {credentials: 'same-origin'}).then(r => r.text())", href
    )
    assert body.startswith("%PDF-"), body[:40]

    # Drawn by pdf.js, whatever viewer the browser has.
    await expect(pdf.get_by_test_id("pdf-viewer")).to_have_attribute("data-drawn-page", "1")
    await expect(pdf.get_by_test_id("pdf-page-count")).to_have_text("Page 1 of 1")


WATCH_ATTACHMENTS = """() => {
  window.__attachmentStates = [];
  new MutationObserver(() => {
    for (const el of document.querySelectorAll('[data-testid=attachment]')) {
      window.__attachmentStates.push(el.dataset.state);
    }
  }).observe(document.body, {subtree: true, childList: true, attributes: true});
}"""

DROP_FILE = """([name, text]) => {
  const transfer = new DataTransfer();
  transfer.items.add(new File([text], name, {type: 'text/plain'}));
  const target = document.querySelector('[data-testid=messages]');
  for (const type of ['dragenter', 'dragover']) {
    target.dispatchEvent(new DragEvent(type, {bubbles: true, cancelable: true, dataTransfer: transfer}));
  }
  window.__overlaySeen = !!document.querySelector('[data-testid=drop-overlay]');
  return new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => {
    window.__overlaySeen = window.__overlaySeen || !!document.querySelector('[data-testid=drop-overlay]');
    target.dispatchEvent(new DragEvent('drop', {bubbles: true, cancelable: true, dataTransfer: transfer}));
    resolve(window.__overlaySeen);
  })));
}"""


async def test_spontaneous_upload_button_and_drop(
    open_page: OpenPage, full_stack: LocalStack
) -> None:
    page = await sign_in(open_page, full_stack.url)
    await page.evaluate(WATCH_ATTACHMENTS)
    async with page.expect_file_chooser() as chooser:
        await page.get_by_role("button", name="Attach files").click()
    await (await chooser.value).set_files(files=[payload("a.txt", "text/plain", b"alpha")])
    chips = page.get_by_test_id("attachment")
    await expect(chips).to_have_count(1)
    await expect(chips.first).to_have_attribute("data-state", "done")

    overlay_seen = await page.evaluate(DROP_FILE, ["b.txt", "beta"])
    assert overlay_seen, "no drop overlay while dragging files"
    await expect(page.get_by_test_id("drop-overlay")).to_have_count(0)
    await expect(chips).to_have_count(2)
    await expect(chips.nth(1)).to_contain_text("b.txt")
    await expect(chips.nth(1)).to_have_attribute("data-state", "done")
    states: list[str] = await page.evaluate("window.__attachmentStates")
    assert "uploading" in states, states

    # A type the config does not accept is refused before uploading.
    await page.evaluate(
        """() => {
      const transfer = new DataTransfer();
      transfer.items.add(new File(['x'], 'c.png', {type: 'image/png'}));
      document.querySelector('[data-testid=messages]').dispatchEvent(
        new DragEvent('drop', {bubbles: true, cancelable: true, dataTransfer: transfer}));
    }"""
    )
    await expect(page.locator(".toast")).to_contain_text("c.png cannot be attached")
    await expect(chips).to_have_count(2)

    await answer(page, "files", "received a.txt=alpha, b.txt=beta")
    await expect(chips).to_have_count(0)
    user = page.locator(USER).last
    await expect(user.locator("[data-testid=element][data-type=file]")).to_have_count(2)


async def test_feedback_history_and_resume(open_page: OpenPage, full_stack: LocalStack) -> None:
    page = await sign_in(open_page, full_stack.url, user="hana")
    await answer(page, "first topic", "echo: first topic")
    # After the first interaction the address names the thread.
    await page.wait_for_url("**/thread/**")
    thread_url = page.url

    # Feedback: thumbs down with a comment.
    reply = page.locator(ASSISTANT).last
    await reply.get_by_role("button", name="Not helpful").click()
    dialog = page.get_by_role("dialog", name="Add a comment")
    await dialog.get_by_label("Comment (optional)").fill("too short")
    await dialog.get_by_role("button", name="Submit feedback").click()
    await expect(dialog).to_be_hidden()
    await expect(reply.get_by_role("button", name="Not helpful")).to_have_attribute(
        "aria-pressed", "true"
    )

    # History: today's group holds the thread, named after its first message.
    sidebar = page.get_by_role("navigation", name="Past chats")
    today = sidebar.get_by_role("region", name="Today")
    await expect(today.get_by_test_id("thread-item")).to_have_text(["first topic"])

    # Reload: the thread resumes from /thread/:id with its feedback, and goes on.
    await page.reload()
    await expect(page.locator(USER)).to_have_text(["first topic"])
    reply = page.locator(ASSISTANT).filter(has_text="echo: first topic")
    await expect(reply).to_have_count(1)
    await expect(reply.get_by_role("button", name="Not helpful")).to_have_attribute(
        "aria-pressed", "true"
    )
    await expect(page.locator(ASSISTANT).filter(has_text="Ready, hana")).to_have_count(1)
    await answer(page, "after reload", "echo: after reload")
    assert page.url == thread_url
    # The same thumb again removes the feedback.
    await reply.get_by_role("button", name="Not helpful").click()
    await expect(reply.get_by_role("button", name="Not helpful")).to_have_attribute(
        "aria-pressed", "false"
    )

    # A second thread; search, rename and delete from the sidebar.
    await page.get_by_test_id("new-chat").click()
    await page.get_by_role("dialog").get_by_role("button", name="Confirm").click()
    await expect(page.locator(ASSISTANT).first).to_contain_text("Ready, hana")
    await answer(page, "second topic", "echo: second topic")
    items = sidebar.get_by_test_id("thread-item")
    # (The order is the server's: most recent activity first.)
    await expect(items).to_have_count(2)
    await expect(items.filter(has_text="second topic")).to_have_count(1)
    await sidebar.get_by_label("Search").fill("second")
    await expect(items).to_have_text(["second topic"])
    await sidebar.get_by_label("Search").fill("")
    await expect(items).to_have_count(2)

    # Rename with the keyboard only: Tab from the thread's link to its Rename button.
    await items.filter(has_text="second topic").get_by_role("link").focus()
    await page.keyboard.press("Tab")
    await expect(sidebar.get_by_role("button", name="Rename: second topic")).to_be_focused()
    await page.keyboard.press("Enter")
    rename = page.get_by_role("dialog", name="Rename")
    await expect(rename.get_by_label("Name")).to_be_focused()
    await page.keyboard.press("Control+A")
    await page.keyboard.type("Renamed chat")
    await page.keyboard.press("Enter")
    await expect(rename).to_be_hidden()
    await expect(items.filter(has_text="Renamed chat")).to_have_count(1)
    await expect(items.filter(has_text="second topic")).to_have_count(0)
    await expect(items).to_have_count(2)

    await sidebar.get_by_role("button", name="Delete: Renamed chat").click()
    delete = page.get_by_role("dialog", name="Delete")
    await expect(delete).to_contain_text("Renamed chat")
    await delete.get_by_role("button", name="Delete").click()
    await expect(items).to_have_text(["first topic"])
    # The deleted thread was the open one: a fresh chat replaced it.
    await expect(page.locator(USER)).to_have_count(0)
    await save_screenshot(page, "history-sidebar.png")

    await items.first.get_by_role("link").click()
    await expect(page).to_have_url(thread_url)
    await expect(page.locator(USER)).to_have_text(["first topic", "after reload"])


async def test_share_link_read_only_for_another_user(
    open_page: OpenPage, full_stack: LocalStack
) -> None:
    owner = await sign_in(open_page, full_stack.url, user="sam")
    await answer(owner, "share me", "echo: share me")
    await answer(owner, "elements", "Here are the elements.")
    sidebar = owner.get_by_role("navigation", name="Past chats")
    await sidebar.get_by_role("button", name="Share: share me").click()
    dialog = owner.get_by_role("dialog", name="Share this chat")
    link_field = dialog.get_by_label("Share link")
    await expect(link_field).to_have_value(
        f"{full_stack.url}/share/" + owner.url.rsplit("/", 1)[-1]
    )
    link = await link_field.input_value()
    await dialog.get_by_role("button", name="Close").click()

    # Bob's last visit finds the link unshared: the browser logs that 404 itself.
    bob = await sign_in(
        open_page, full_stack.url, user="bob", allow_console=(*UNAUTHENTICATED, r"status of 404")
    )
    await bob.goto(link)
    view = bob.get_by_test_id("thread-view")
    await expect(view.locator(USER)).to_have_text(["share me", "elements"])
    await expect(view.locator(ASSISTANT).filter(has_text="echo: share me")).to_have_count(1)
    await expect(view.get_by_role("note")).to_have_text("This conversation is read-only.")
    await expect(bob.locator(COMPOSER)).to_have_count(0)
    await expect(view.get_by_role("button", name="Edit message")).to_have_count(0)
    await expect(view.get_by_role("button", name="Helpful")).to_have_count(0)
    # The owner's stored image loads for the viewer through the share.
    image = view.locator("[data-testid=element][data-type=image] img")
    await expect(image).to_have_attribute("src", re.compile(r"/project/share/"))
    await image.evaluate(
        "img => img.complete ? null : new Promise((ok) => img.addEventListener('load', ok))"
    )
    assert await image.evaluate("img => img.naturalWidth") == 2
    # Bob's own history does not list Alice's thread.
    await bob.goto(full_stack.url)
    await expect(bob.locator(ASSISTANT).first).to_contain_text("Ready, bob")
    await expect(bob.get_by_test_id("thread-item").filter(has_text="share me")).to_have_count(0)

    # Alice stops sharing: the link no longer opens.
    await sidebar.get_by_role("button", name="Share: share me").click()
    await dialog.get_by_role("button", name="Stop sharing").click()
    await expect(dialog).to_be_hidden()
    await bob.goto(link)
    await expect(bob.get_by_role("alert")).to_have_text("Conversation not found")


async def test_german_translation(open_page: OpenPage, full_stack: LocalStack) -> None:
    page = await open_page(f"{full_stack.url}/login", locale="de-DE", allow_console=UNAUTHENTICATED)
    await expect(page.locator("html")).to_have_attribute("lang", "de-DE")
    await expect(page.get_by_role("heading", name="Zum Fortfahren anmelden")).to_be_visible()
    await page.get_by_label("E-Mail").fill("gerd")
    await page.get_by_label("Passwort").fill("gerd-password")
    await page.get_by_role("button", name="Anmelden").click()
    await expect(page.locator(ASSISTANT).first).to_contain_text("Ready, gerd")
    await expect(page.locator(COMPOSER)).to_have_attribute(
        "placeholder", "Geben Sie hier Ihre Nachricht ein..."
    )
    await expect(page.get_by_test_id("new-chat")).to_contain_text("Neuer Chat")
    await expect(page.get_by_role("navigation", name="Frühere Chats")).to_be_visible()
    await expect(page.get_by_label("Chat-Profil")).to_be_visible()
