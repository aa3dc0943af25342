"""An app's public/ folder in our UI: custom CSS and JS run, theme.json's variables and
fonts apply (in both themes), and the avatar URL from the config loads."""

from __future__ import annotations

from playwright.async_api import expect

from tests.browser.conftest import OpenPage, SharedStack
from tests.support.fixtures import TEST_APPS

APP = TEST_APPS / "public_app"
ASSISTANT = "[data-testid=assistant-message]"

COMPUTED = """() => {
  const marker = document.createElement('span');
  marker.className = 'public-app-marker';
  document.body.append(marker);
  const root = getComputedStyle(document.documentElement);
  const found = {
    js: window.publicAppLoaded === true,
    cssColour: getComputedStyle(marker).color,
    accent: root.getPropertyValue('--accent').trim(),
    primary: root.getPropertyValue('--primary').trim(),
    font: root.getPropertyValue('--font').trim(),
    fonts: root.getPropertyValue('--public-fonts-loaded').trim(),
  };
  marker.remove();
  return found;
}"""


async def test_custom_css_js_theme_and_avatar_apply(
    open_page: OpenPage, shared_stack: SharedStack
) -> None:
    config = (APP / ".chainlit" / "config.toml").read_text()
    stack = shared_stack(APP / "app.py", config=config)
    page = await open_page(stack.url)
    await expect(page.locator(ASSISTANT).first).to_contain_text("Public files test app")
    await expect(page).to_have_title("Public Files")
    await expect(page.locator("html")).to_have_attribute("data-theme", "dark")

    found = await page.evaluate(COMPUTED)
    assert found == {
        "js": True,
        "cssColour": "rgb(12, 34, 56)",
        "accent": "hsl(210 80% 60%)",  # theme.json's dark --primary is our accent
        "primary": "210 80% 60%",  # and stays under its own name for custom CSS
        "font": "'Public Sans', sans-serif",
        "fonts": "yes",
    }

    await page.get_by_test_id("theme-toggle").click()
    await expect(page.locator("html")).to_have_attribute("data-theme", "light")
    light = await page.evaluate(COMPUTED)
    assert light["accent"] == "hsl(210 80% 40%)" and light["primary"] == "210 80% 40%"

    avatar = page.locator(f"{ASSISTANT} img.avatar").first
    await expect(avatar).to_have_attribute("src", "/public/avatars/assistant.png")
    # Loaded: the 1x1 PNG from the public folder, not a broken image.
    await page.wait_for_function(
        "img => img.complete && img.naturalWidth === 1", arg=await avatar.element_handle()
    )
