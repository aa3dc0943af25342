"""Voice activity detection: with ``[features.audio]``'s silence keys set, the web UI's
microphone stops by itself once the speaker falls silent. Chromium's fake microphone
plays a WAV the test writes: about a second of a speech-like sound, then silence."""

from __future__ import annotations

import math
import re
import struct
import time
import wave
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Playwright, expect

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, SharedStack
from tests.browser.test_chat import ASSISTANT

APPS = Path(__file__).parent / "apps"
RATE = 48_000
SPEECH_S = 1.2
SILENCE_S = 8.0
SILENCE_TIMEOUT_MS = 1000
VAD_ON = (
    "[features.audio]\nenabled = true\nsample_rate = 24000\n"
    f"min_decibels = -45\nsilence_timeout = {SILENCE_TIMEOUT_MS}\n"
    "initial_silence_timeout = 4000\nmax_duration = 20000\n"
)
HEARD = re.compile(r"Heard (\d+) bytes in (\d+) chunks")
BYTES_PER_S = 24_000 * 2  # what the UI sends: mono PCM16 at the app's 24 kHz


def speech_then_silence(path: Path) -> None:
    """A voiced sound (150 Hz and harmonics, syllable-like swells at 4 Hz), then zeros."""
    frames = bytearray()
    for i in range(int(RATE * SPEECH_S)):
        t = i / RATE
        voiced = sum(math.sin(2 * math.pi * 150 * k * t) / k for k in range(1, 6))
        envelope = 0.55 + 0.45 * math.sin(2 * math.pi * 4 * t)
        frames += struct.pack("<h", int(7000 * envelope * voiced))
    frames += bytes(2 * int(RATE * SILENCE_S))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(bytes(frames))


@pytest.fixture(scope="module")
async def speaking_browser(
    playwright_driver: Playwright, web_build: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Browser]:
    wav = tmp_path_factory.mktemp("voice") / "speech-then-silence.wav"
    speech_then_silence(wav)
    instance = await playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM),
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-audio-capture={wav}%noloop",
        ],
    )
    yield instance
    await instance.close()


async def test_recording_stops_after_the_speaker_falls_silent(
    speaking_browser: Browser, shared_stack: SharedStack
) -> None:
    stack = shared_stack(APPS / "voice_app.py", config=VAD_ON)
    context = await speaking_browser.new_context(
        viewport={"width": 1280, "height": 800}, permissions=["microphone"]
    )
    try:
        page = await context.new_page()
        page.set_default_timeout(15_000)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
        await page.goto(stack.url)
        await expect(page.locator(ASSISTANT).first).to_contain_text("Voice app ready.")

        button = page.get_by_test_id("voice-button")
        await page.get_by_role("button", name="Start voice input").click()
        await expect(button).to_have_attribute("data-state", "on")
        started = time.monotonic()
        # Nobody presses stop: the silence after the sound ends the recording.
        await expect(button).to_have_attribute("data-state", "off", timeout=10_000)
        recorded_for = time.monotonic() - started
        await expect(page.get_by_test_id("voice-status")).to_have_text("Voice input ended")

        answer = page.locator(ASSISTANT).filter(has_text="Heard ")
        await expect(answer).to_have_count(1)
        match = HEARD.search(await answer.inner_text())
        assert match, await answer.inner_text()
        seconds = int(match[1]) / BYTES_PER_S
        # The sound, then about silence_timeout of silence: not the 9 s the file lasts,
        # nor the initial-silence or maximum limits.
        floor = SPEECH_S * 0.6 + SILENCE_TIMEOUT_MS / 1000 * 0.8
        assert floor <= seconds <= SPEECH_S + SILENCE_TIMEOUT_MS / 1000 + 1.5, seconds
        assert recorded_for < 6, recorded_for
        assert not errors, errors
    finally:
        await context.close()
