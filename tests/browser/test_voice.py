"""Voice in the web UI: with ``[features.audio]`` on, the composer's microphone streams
PCM16 ``audio_chunk`` events (Chromium's fake device stands in for a microphone) between
``audio_start`` and ``audio_end``, and the app's own audio is played back."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, Playwright, expect

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, SharedStack
from tests.browser.test_chat import ASSISTANT, send, wait_idle

APPS = Path(__file__).parent / "apps"
AUDIO_ON = "[features.audio]\nenabled = true\nsample_rate = 24000\n"
FAKE_MICROPHONE = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
HEARD = re.compile(r"Heard (\d+) bytes in (\d+) chunks \((\S+), (\d+) start\)\.")


@pytest.fixture(scope="module")
async def mic_browser(playwright_driver: Playwright, web_build: Path) -> AsyncIterator[Browser]:
    """Chromium with a fake microphone (a beep) that it may use without asking."""
    instance = await playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM),
        args=[*CHROMIUM_ARGS, *FAKE_MICROPHONE, "--autoplay-policy=no-user-gesture-required"],
    )
    yield instance
    await instance.close()


async def _open(browser: Browser, url: str) -> tuple[Page, list[str]]:
    context = await browser.new_context(
        viewport={"width": 1280, "height": 800}, permissions=["microphone"]
    )
    page = await context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
    page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
    await page.goto(url)
    await expect(page.locator(ASSISTANT).first).to_contain_text("Voice app ready.")
    return page, errors


async def test_microphone_streams_pcm16_and_the_reply_is_played(
    mic_browser: Browser, shared_stack: SharedStack
) -> None:
    stack = shared_stack(APPS / "voice_app.py", config=AUDIO_ON)
    page, errors = await _open(mic_browser, stack.url)
    try:
        mic = page.get_by_role("button", name="Start voice input")
        await expect(mic).to_be_enabled()
        status = page.get_by_test_id("voice-status")
        await expect(status).to_have_attribute("role", "status")
        await mic.click()
        # audio_start, then the app's audio_connection "on": recording.
        await expect(page.get_by_test_id("voice-button")).to_have_attribute("data-state", "on")
        await expect(status).to_have_text("Listening. Speak now, then press stop.")
        stop = page.get_by_role("button", name="Stop voice input")
        await expect(stop).to_be_visible()
        await page.wait_for_timeout(1500)
        await stop.click()
        await expect(status).to_have_text("Voice input ended")
        await expect(page.get_by_role("button", name="Start voice input")).to_be_visible()

        answer = page.locator(ASSISTANT).filter(has_text="Heard ")
        await expect(answer).to_have_count(1)
        match = HEARD.search(await answer.inner_text())
        assert match, await answer.inner_text()
        size, chunks, mime, starts = int(match[1]), int(match[2]), match[3], int(match[4])
        assert mime == "pcm16"
        assert starts == 1, "only the first chunk starts the recording"
        # About 1.5 s of mono 16-bit samples at 24 kHz, in 0.1 s chunks (48,000 bytes/s).
        assert size % 2 == 0
        assert 24_000 <= size <= 150_000, size
        assert chunks >= 5, chunks

        # The app's reply tone: three chunks of 2,400 samples handed to the audio output.
        await page.wait_for_function(
            "() => window.__switchboardVoice && window.__switchboardVoice.played.chunks >= 3"
        )
        played = await page.evaluate("() => window.__switchboardVoice.played")
        assert played == {"chunks": 3, "samples": 7200}
        assert not errors, errors
    finally:
        await page.context.close()


async def test_no_microphone_without_the_audio_feature(
    mic_browser: Browser, shared_stack: SharedStack
) -> None:
    page, errors = await _open(mic_browser, shared_stack(APPS / "voice_app.py").url)
    try:
        await expect(page.get_by_test_id("send-button")).to_be_visible()
        await expect(page.get_by_test_id("voice-button")).to_have_count(0)
        assert not errors, errors
    finally:
        await page.context.close()


async def test_the_app_can_refuse_voice(mic_browser: Browser, shared_stack: SharedStack) -> None:
    stack = shared_stack(APPS / "voice_app.py", config=AUDIO_ON)
    page, errors = await _open(mic_browser, stack.url)
    try:
        await wait_idle(page)
        await send(page, "no voice")
        await expect(page.locator(ASSISTANT).last).to_contain_text("echo: no voice")
        await wait_idle(page)
        await page.get_by_role("button", name="Start voice input").click()
        # on_audio_start said no: audio_connection "off", and the microphone stays off.
        status = page.get_by_test_id("voice-status")
        await expect(status).to_have_text("Voice input is not available right now")
        await expect(page.get_by_test_id("voice-button")).to_have_attribute("data-state", "off")
        await expect(page.get_by_role("button", name="Start voice input")).to_be_enabled()
        assert not errors, errors
    finally:
        await page.context.close()
