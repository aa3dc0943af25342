"""Protocol features the UI renders: asks, actions, chat settings, commands and modes,
chat profiles and starters, stop, toasts, errors, markdown, editing, translations."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Page, expect

from tests.browser.conftest import OpenPage, SharedStack, save_screenshot
from tests.browser.test_chat import ASSISTANT, COMPOSER, USER, send, wait_idle
from tests.support.fixtures import EXAMPLES

APPS = Path(__file__).parent / "apps"


async def ready(page: Page, text: str) -> None:
    await expect(page.locator(ASSISTANT).first).to_contain_text(text)


async def test_ask_text_then_action(open_page: OpenPage, shared_stack: SharedStack) -> None:
    page = await open_page(shared_stack(EXAMPLES / "ask.py").url)
    await ready(page, "What is your name?")
    composer = page.locator(COMPOSER)
    await expect(composer).to_have_attribute("placeholder", "Type your answer here...")

    await composer.fill("Ada")
    await composer.press("Enter")
    await expect(page.locator(USER)).to_contain_text("Ada")
    asking = page.locator(ASSISTANT).nth(1)
    await expect(asking).to_contain_text("Hello Ada! Tea or coffee?")
    # The answer sits between the question and the next message.
    order = await page.locator(f"{ASSISTANT}, {USER}").all_inner_texts()
    assert "What is your name?" in order[0] and "Ada" in order[1], order
    await expect(asking.get_by_test_id("action")).to_have_count(2)
    # While an action ask waits, the composer cannot send.
    await composer.fill("nope")
    await expect(page.get_by_test_id("send-button")).to_be_disabled()
    await composer.fill("")

    await asking.get_by_role("button", name="Coffee").click()
    await expect(page.locator(ASSISTANT).last).to_contain_text("Ada drinks coffee.")
    # The server rewrites the question to the choice made.
    await expect(asking).to_contain_text("Selected: Coffee")
    await expect(asking.get_by_test_id("action")).to_have_count(0)
    await expect(composer).to_have_attribute("placeholder", "Type your message here...")


async def test_action_button_runs_its_callback(
    open_page: OpenPage, shared_stack: SharedStack
) -> None:
    page = await open_page(shared_stack(EXAMPLES / "actions.py").url)
    await ready(page, "Press the button.")
    button = page.get_by_role("button", name="Greet")
    await button.click()
    await expect(page.locator(ASSISTANT).last).to_contain_text("Hello, world!")
    await expect(button).to_have_count(0)


async def test_chat_settings_panel(open_page: OpenPage, shared_stack: SharedStack) -> None:
    page = await open_page(shared_stack(EXAMPLES / "chat_settings.py").url)
    await ready(page, "model=small")
    await page.get_by_test_id("open-chat-settings").click()
    dialog = page.get_by_role("dialog", name="Settings")
    await expect(dialog).to_be_visible()
    for label in ("Model", "Temperature", "Prefix", "Max tokens", "Since"):
        await expect(dialog.get_by_label(label, exact=True)).to_be_visible()
    await expect(dialog.get_by_role("switch", name="Stream")).to_have_attribute(
        "aria-checked", "true"
    )
    await expect(dialog.get_by_role("checkbox", name="web")).to_be_checked()
    await expect(dialog.get_by_role("radio", name="plain")).to_be_checked()
    await expect(dialog.get_by_label("Since", exact=True)).to_have_value("2026-01-01")
    await save_screenshot(page, "chat-settings.png")

    await dialog.get_by_label("Model", exact=True).select_option("large")
    await dialog.get_by_role("switch", name="Stream").click()
    await expect(dialog.get_by_role("switch", name="Stream")).to_have_attribute(
        "aria-checked", "false"
    )
    await dialog.get_by_role("button", name="Confirm").click()
    await expect(dialog).to_be_hidden()
    await expect(page.locator(ASSISTANT).last).to_contain_text("now model=large temp=1")

    # Escape closes the panel without sending anything.
    await page.get_by_test_id("open-chat-settings").click()
    await expect(dialog).to_be_visible()
    await expect(dialog.get_by_label("Model", exact=True)).to_have_value("large")
    await page.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()


async def test_commands_and_modes(open_page: OpenPage, shared_stack: SharedStack) -> None:
    page = await open_page(shared_stack(EXAMPLES / "commands.py").url)
    composer = page.locator(COMPOSER)
    await expect(page.get_by_label("Depth")).to_be_visible()
    await composer.fill("/se")
    menu = page.get_by_role("listbox", name="Commands")
    await expect(menu.get_by_role("option")).to_have_text(["/search Search the web"])
    await composer.press("Enter")
    await expect(menu).to_have_count(0)
    await expect(page.locator(".command-chip")).to_contain_text("/search")
    await page.get_by_label("Depth").select_option("deep")
    await send(page, "find cats")
    await expect(page.locator(ASSISTANT).last).to_contain_text("command=search depth=deep")
    await expect(page.locator(".command-chip")).to_have_count(0)

    await send(page, "plain")
    await expect(page.locator(ASSISTANT).last).to_contain_text("command=None depth=deep")


async def test_chat_profiles_and_starters(open_page: OpenPage, shared_stack: SharedStack) -> None:
    page = await open_page(shared_stack(EXAMPLES / "chat_profiles.py").url)
    profile = page.get_by_label("Chat profile")
    await expect(profile).to_have_value("Fast")
    starters = page.get_by_test_id("starter")
    await expect(starters).to_have_text(["Say hi", "Help"])
    await starters.first.click()
    await expect(page.locator(USER)).to_contain_text("hi")
    await expect(page.locator(ASSISTANT).last).to_contain_text("[Fast] hi")
    await expect(starters).to_have_count(0)

    await profile.select_option("Careful")
    await expect(page.locator(".app-name")).to_have_text("Careful Assistant")
    await expect(page.locator(USER)).to_have_count(0)
    await send(page, "slowly")
    await expect(page.locator(ASSISTANT).last).to_contain_text("[Careful] slowly")


async def test_stop_a_running_task(open_page: OpenPage, shared_stack: SharedStack) -> None:
    page = await open_page(shared_stack(APPS / "ui_app.py").url)
    await ready(page, "UI test app ready.")
    await send(page, "slow")
    stop = page.get_by_test_id("stop-button")
    await expect(page.locator(ASSISTANT).last).to_contain_text("tick3")
    await stop.click()
    await expect(page.locator(ASSISTANT).last).to_contain_text("Task manually stopped.")
    await expect(stop).to_have_count(0)
    await expect(page.get_by_test_id("send-button")).to_be_visible()
    reply = page.locator(ASSISTANT).filter(has_text="tick0")
    streamed = await reply.inner_text()
    assert "tick399" not in streamed
    # Stopped, the partial reply is over: it no longer shows as streaming.
    await expect(reply).to_have_attribute("data-streaming", "false")
    await expect(reply).to_have_attribute("aria-busy", "false")
    await expect(page.locator(f"{ASSISTANT}[data-streaming=true]")).to_have_count(0)


async def test_escape_stops_a_running_reply(open_page: OpenPage, shared_stack: SharedStack) -> None:
    page = await open_page(shared_stack(APPS / "ui_app.py").url)
    await ready(page, "UI test app ready.")
    await send(page, "slow")
    stop = page.get_by_test_id("stop-button")
    await expect(page.locator(ASSISTANT).last).to_contain_text("tick3")
    await expect(stop).to_have_attribute("aria-keyshortcuts", "Escape")
    # Focus is still in the composer after sending; Escape there stops the reply.
    await expect(page.locator(COMPOSER)).to_be_focused()
    await page.keyboard.press("Escape")
    await expect(page.locator(ASSISTANT).last).to_contain_text("Task manually stopped.")
    await expect(stop).to_have_count(0)
    streamed = await page.locator(ASSISTANT).filter(has_text="tick0").inner_text()
    assert "tick399" not in streamed

    # Focus outside the composer: Escape still stops.
    stopped = page.locator(ASSISTANT).filter(has_text="Task manually stopped.")
    await send(page, "slow")
    await expect(page.locator(ASSISTANT).last).to_contain_text("tick3")
    await page.evaluate("document.activeElement.blur()")
    await page.keyboard.press("Escape")
    await expect(stopped).to_have_count(2)
    await expect(stop).to_have_count(0)

    # Nothing running: Escape sends no stop.
    await page.keyboard.press("Escape")
    await page.wait_for_timeout(500)
    await expect(stopped).to_have_count(2)


async def test_uploads_are_on_by_default_as_in_chainlit(
    open_page: OpenPage, shared_stack: SharedStack
) -> None:
    # No config file: Chainlit's generated config.toml allows uploads, so do we.
    page = await open_page(shared_stack(APPS / "ui_app.py").url)
    await ready(page, "UI test app ready.")
    attach = page.get_by_role("button", name="Attach files")
    await expect(attach).to_be_visible()
    async with page.expect_file_chooser() as chooser:
        await attach.click()
    file = {"name": "notes.md", "mimeType": "text/markdown", "buffer": b"# notes"}
    await (await chooser.value).set_files(files=[file])
    chip = page.get_by_test_id("attachment")
    await expect(chip).to_have_attribute("data-state", "done")

    off = "[features.spontaneous_file_upload]\nenabled = false\n"
    page = await open_page(shared_stack(APPS / "ui_app.py", config=off).url)
    await ready(page, "UI test app ready.")
    await expect(page.get_by_test_id("send-button")).to_be_visible()
    await expect(page.get_by_role("button", name="Attach files")).to_have_count(0)


THUMBS = "button[aria-label='Helpful'], button[aria-label='Not helpful']"


async def test_anonymous_replies_offer_copy_but_no_thumbs(
    open_page: OpenPage, shared_stack: SharedStack
) -> None:
    page = await open_page(shared_stack(APPS / "ui_app.py").url)
    await ready(page, "UI test app ready.")
    await send(page, "hello")
    reply = page.locator(ASSISTANT).filter(has_text="echo: hello")
    await expect(reply).to_have_count(1)
    await wait_idle(page)
    await expect(reply.get_by_test_id("copy-message")).to_have_count(1)
    # The greeting on_chat_start sent is no reply to anything: no tools on it.
    greeting = page.locator(ASSISTANT).filter(has_text="UI test app ready.")
    await expect(greeting.get_by_test_id("copy-message")).to_have_count(0)
    # No user, so nowhere to keep feedback: no thumbs on any message.
    await expect(page.locator(ASSISTANT).locator(THUMBS)).to_have_count(0)

    await send(page, "slow")
    await expect(page.locator(ASSISTANT).last).to_contain_text("tick3")
    await page.get_by_test_id("stop-button").click()
    notice = page.locator(ASSISTANT).filter(has_text="Task manually stopped.")
    await expect(notice).to_have_count(1)
    await expect(page.get_by_test_id("stop-button")).to_have_count(0)
    await expect(notice.get_by_test_id("copy-message")).to_have_count(0)
    await expect(notice.locator(THUMBS)).to_have_count(0)


async def test_ask_prompts_carry_no_message_tools(
    open_page: OpenPage, shared_stack: SharedStack
) -> None:
    page = await open_page(shared_stack(EXAMPLES / "ask.py").url)
    await ready(page, "What is your name?")
    question = page.locator(ASSISTANT).first
    await expect(question.get_by_test_id("copy-message")).to_have_count(0)
    await page.locator(COMPOSER).fill("Ada")
    await page.locator(COMPOSER).press("Enter")
    asking = page.locator(ASSISTANT).filter(has_text="Tea or coffee?")
    await expect(asking).to_have_count(1)
    await expect(asking.get_by_test_id("copy-message")).to_have_count(0)
    # Answered, the question is still a question: no tools appear on it.
    await expect(question.get_by_test_id("copy-message")).to_have_count(0)
    await expect(page.locator(ASSISTANT).locator(THUMBS)).to_have_count(0)


async def test_toast_error_and_markdown(open_page: OpenPage, shared_stack: SharedStack) -> None:
    page = await open_page(shared_stack(APPS / "ui_app.py").url)
    await ready(page, "UI test app ready.")
    await send(page, "toast")
    toast = page.locator(".toast.success")
    await expect(toast).to_contain_text("Saved!")
    await expect(toast).to_have_attribute("role", "status")
    await toast.get_by_role("button", name="Close").click()
    await expect(toast).to_have_count(0)

    await send(page, "fail")
    await expect(page.locator(f"{ASSISTANT}.error")).to_contain_text("Something broke")

    await send(page, "markdown")
    last = page.locator(ASSISTANT).last
    await expect(last.get_by_role("heading", name="Heading")).to_be_visible()
    await expect(last.get_by_role("table")).to_contain_text("Name")
    await expect(last.locator("code.hljs .hljs-keyword").first).to_have_text("def")
    await last.locator(".copy-code").click()
    await wait_idle(page)


async def test_an_exception_in_on_message_is_shown(
    open_page: OpenPage, shared_stack: SharedStack
) -> None:
    page = await open_page(shared_stack(APPS / "ui_app.py").url)
    await ready(page, "UI test app ready.")
    await send(page, "raise")
    error = page.get_by_test_id("run-error")
    await expect(error).to_have_count(1)
    await expect(error).to_have_attribute("role", "alert")
    await expect(error).to_contain_text("Something went wrong while answering.")
    await expect(error).to_contain_text("the weather service is down")
    await wait_idle(page)
    # In order: the question, what the run sent before it failed, then the error.
    shown = await page.locator(f"{USER}, {ASSISTANT}, [data-testid=run-error]").all_inner_texts()
    assert [text.splitlines()[-1] for text in shown[-3:]] == [
        "raise",
        "Looking it up...",
        "the weather service is down",
    ], shown

    # An exception without a text still says that the answer failed.
    await send(page, "raise quietly")
    await expect(error).to_have_count(2)
    await expect(error.last).to_have_text("Something went wrong while answering.")
    await wait_idle(page)

    # A reply the user stops is not an error; the conversation goes on.
    await send(page, "slow")
    await expect(page.locator(ASSISTANT).last).to_contain_text("tick3")
    await page.get_by_test_id("stop-button").click()
    await expect(page.locator(ASSISTANT).last).to_contain_text("Task manually stopped.")
    await wait_idle(page)
    await send(page, "hello")
    await expect(page.locator(ASSISTANT).last).to_contain_text("echo: hello")
    await expect(error).to_have_count(2)


async def test_edit_message_reruns(open_page: OpenPage, shared_stack: SharedStack) -> None:
    page = await open_page(shared_stack(APPS / "ui_app.py").url)
    await ready(page, "UI test app ready.")
    await send(page, "first")
    await expect(page.locator(ASSISTANT).last).to_contain_text("echo: first")
    await wait_idle(page)
    user = page.locator(USER)
    await user.hover()
    await user.get_by_role("button", name="Edit message").click()
    editor = user.get_by_label("Edit your message")
    await expect(editor).to_be_focused()
    await editor.fill("second")
    await editor.press("Enter")
    await expect(user).to_contain_text("second")
    await expect(page.locator(ASSISTANT).last).to_contain_text("echo: second")
    await expect(page.locator(ASSISTANT).filter(has_text="echo: first")).to_have_count(0)


async def test_french_translation(open_page: OpenPage, shared_stack: SharedStack) -> None:
    page = await open_page(shared_stack(APPS / "ui_app.py").url, locale="fr-FR")
    await ready(page, "UI test app ready.")
    await expect(page.locator("html")).to_have_attribute("lang", "fr-FR")
    await expect(page.locator(COMPOSER)).to_have_attribute(
        "placeholder", "Écrivez votre message ici..."
    )
    await expect(page.get_by_test_id("new-chat")).to_contain_text("Nouvelle discussion")
    await expect(page.get_by_test_id("send-button")).to_have_attribute(
        "aria-label", "Envoyer le message"
    )


async def test_japanese_from_a_regional_browser_tag(
    open_page: OpenPage, shared_stack: SharedStack
) -> None:
    # The browser says ja-JP; the gateway ships ja.json.
    page = await open_page(shared_stack(APPS / "ui_app.py").url, locale="ja-JP")
    await ready(page, "UI test app ready.")
    await expect(page.locator("html")).to_have_attribute("lang", "ja-JP")
    await expect(page.locator(COMPOSER)).to_have_attribute(
        "placeholder", "ここにメッセージを入力..."
    )
    await expect(page.get_by_role("button", name="新しいチャット")).to_be_visible()
    await expect(page.get_by_test_id("send-button")).to_have_attribute(
        "aria-label", "メッセージを送信"
    )


async def test_arabic_runs_right_to_left(open_page: OpenPage, shared_stack: SharedStack) -> None:
    # ar-SA.json is ours; the page turns to right-to-left for it.
    page = await open_page(shared_stack(APPS / "ui_app.py").url, locale="ar-SA")
    await ready(page, "UI test app ready.")
    await expect(page.locator("html")).to_have_attribute("lang", "ar-SA")
    await expect(page.locator("html")).to_have_attribute("dir", "rtl")
    await expect(page.locator(COMPOSER)).to_have_attribute("placeholder", "اكتب رسالتك هنا...")
    await expect(page.get_by_test_id("send-button")).to_have_attribute(
        "aria-label", "إرسال الرسالة"
    )
    # The send button, at the end of the composer's bar, sits on the left in right-to-left.
    composer = await page.locator(COMPOSER).bounding_box()
    send = await page.get_by_test_id("send-button").bounding_box()
    assert composer is not None and send is not None
    middle = composer["x"] + composer["width"] / 2
    assert send["x"] + send["width"] / 2 < middle, (send, composer)
