"""The copilot widget's mount options as Chainlit documents them: ``accessToken`` signs
the chat in (POST /auth/jwt) without ever reaching a URL a server sees, ``customCssUrl``
styles the widget, ``theme`` and ``button.style`` are applied, and a bad token leaves
the chat signed out."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from playwright.async_api import Page, expect

from switchboard.stack import LocalStack
from tests.browser.conftest import OpenPage
from tests.browser.test_chat import ASSISTANT
from tests.support.fixtures import StackFactory

APP = Path(__file__).parent / "apps" / "copilot_auth_app"
SECRET = "browser-copilot-secret-" + "c" * 40
# The frame asks /user before it is signed in; the browser logs the 401 itself.
UNAUTHENTICATED = (r"status of 401",)

LAUNCHER_STYLE = """() => {
  const root = document.getElementById('chainlit-copilot').shadowRoot;
  const button = getComputedStyle(root.querySelector('.launcher'));
  const panel = getComputedStyle(root.querySelector('.panel'));
  return {
    background: button.backgroundColor, radius: button.borderTopLeftRadius,
    width: button.width, borderColor: button.borderTopColor, borderWidth: button.borderTopWidth,
    outline: panel.outlineColor + ' ' + panel.outlineWidth,
  };
}"""


def _token(identifier: str, secret: str = SECRET) -> str:
    now = int(time.time())
    body: dict[str, Any] = {
        "identifier": identifier,
        "display_name": None,
        "metadata": {},
        "iat": now,
    }
    return jwt.encode({**body, "exp": now + 600}, secret, algorithm="HS256")


@pytest.fixture
def copilot_auth_stack(make_stack: StackFactory) -> LocalStack:
    return make_stack(APP / "app.py", extra_env={"CHAINLIT_AUTH_SECRET": SECRET})


async def _mount(page: Page, options: dict[str, Any]) -> None:
    await page.wait_for_function("() => typeof window.mountChainlitWidget === 'function'")
    await page.evaluate(
        "options => window.mountChainlitWidget({chainlitServer: window.location.origin, ...options})",
        options,
    )


async def test_access_token_css_theme_and_button_style(
    open_page: OpenPage, copilot_auth_stack: LocalStack
) -> None:
    page = await open_page(
        f"{copilot_auth_stack.url}/public/embed.html", allow_console=UNAUTHENTICATED
    )
    frame_requests: list[str] = []
    page.on("request", lambda request: frame_requests.append(request.url))
    await _mount(
        page,
        {
            "accessToken": _token("ada"),
            "customCssUrl": "/public/widget.css",
            "theme": "dark",
            "opened": True,
            "button": {
                "style": {
                    "size": "64px",
                    "bgcolor": "rgb(10, 20, 30)",
                    "borderRadius": "8px",
                    "borderColor": "rgb(1, 2, 3)",
                    "borderWidth": "2px",
                    "borderStyle": "solid",
                }
            },
        },
    )
    chat = page.frame_locator("iframe[title=Chat]")
    await expect(chat.locator(ASSISTANT).first).to_contain_text("Signed in as ada.")
    # The token left the frame's address at once and was never in a request's URL.
    frame = next(f for f in page.frames if "/copilot/frame" in f.url)
    assert "access_token" not in frame.url
    assert not [url for url in frame_requests if "access_token" in url or "eyJ" in url]
    assert await frame.evaluate("document.documentElement.dataset.theme") == "dark"

    style = await page.evaluate(LAUNCHER_STYLE)
    assert style == {
        "background": "rgb(10, 20, 30)",
        "radius": "8px",
        "width": "64px",
        "borderColor": "rgb(1, 2, 3)",
        "borderWidth": "2px",
        "outline": "rgb(200, 30, 90) 4px",
    }, style


async def test_a_token_not_signed_by_the_app_leaves_the_chat_signed_out(
    open_page: OpenPage, copilot_auth_stack: LocalStack
) -> None:
    page = await open_page(
        f"{copilot_auth_stack.url}/public/embed.html",
        allow_console=(*UNAUTHENTICATED, r"access token was refused"),
    )
    await _mount(page, {"accessToken": _token("mallory", "x" * 64), "opened": True})
    chat = page.frame_locator("iframe[title=Chat]")
    await expect(chat.get_by_label("Password")).to_be_visible()
    await expect(chat.locator(ASSISTANT)).to_have_count(0)
