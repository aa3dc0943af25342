"""One scenario, played the same way against any Chainlit-protocol server.

A scenario is a list of steps (send a message, click an action, change settings, stop,
send a window message, upload a file). After the connection and after every step the
driver waits until the server has gone quiet, so the recorded stream holds everything
each step caused and nothing of the next one.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.support.client import ChainlitClient, Received, chainlit_auth

__all__ = (
    "Answer",
    "Click",
    "GetSettings",
    "Scenario",
    "Send",
    "SetSettings",
    "Step",
    "Wait",
    "WindowMessage",
    "play",
)


@dataclass(frozen=True)
class Send:
    text: str
    command: str | None = None
    # Upload these (name, bytes, mime) first and attach them to the message.
    files: tuple[tuple[str, bytes, str], ...] = ()
    # Press stop once a message containing this text is shown.
    stop_after: str | None = None
    # The composer's selected mode options, by mode id.
    modes: dict[str, str] | None = None


@dataclass(frozen=True)
class Click:
    """Press the most recently shown action with this name (``POST /project/action``)."""

    name: str


@dataclass(frozen=True)
class SetSettings:
    values: dict[str, Any]
    # Send ``chat_settings_edit`` (a change while the panel is open) instead.
    edit: bool = False


@dataclass(frozen=True)
class WindowMessage:
    data: Any


@dataclass(frozen=True)
class Wait:
    seconds: float


@dataclass(frozen=True)
class GetSettings:
    """``GET /project/settings`` as the UI does; recorded as a pseudo-event
    ``GET /project/settings`` holding only ``keys`` (dotted paths into the body)."""

    keys: tuple[str, ...]
    chat_profile: str = ""


Step = Send | Click | SetSettings | WindowMessage | Wait | GetSettings


@dataclass(frozen=True)
class Answer:
    """How asks are answered: by type, a text, an action name, or files to upload."""

    text: str = "an answer"
    action: str | None = None
    files: tuple[tuple[str, bytes, str], ...] = ()
    element: dict[str, Any] = field(default_factory=lambda: {"submitted": True})
    # Never answer (the ask times out on the server); no acknowledgement is sent.
    silent: bool = False


@dataclass(frozen=True)
class Scenario:
    steps: tuple[Step, ...] = ()
    answer: Answer = field(default_factory=Answer)
    chat_profile: str = ""
    # Seconds without an event after which a step counts as finished.
    quiet: float = 0.6


def _user_message(text: str) -> dict[str, Any]:
    return {
        "threadId": "",
        "id": str(uuid.uuid4()),
        "name": "User",
        "type": "user_message",
        "output": text,
        "createdAt": "2026-01-01T00:00:00.000Z",
    }


def _open_tasks(client: ChainlitClient) -> int:
    names = [event.name for event in client.events]
    return names.count("task_start") - names.count("task_end")


async def _settle(client: ChainlitClient, quiet: float, limit: float = 30.0) -> None:
    """Return once no event arrived for ``quiet`` seconds (at most ``limit`` seconds).

    A quiet stream with a task still open (a slow upload, a busy machine, Chainlit's
    LangChain handler importing LangChain on its first use) is waited on for up to
    two thirds of the limit: only a task that never ends is recorded open.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    patience = loop.time() + limit * 2 / 3
    seen = -1
    while loop.time() < deadline:
        if len(client.events) == seen and (_open_tasks(client) <= 0 or loop.time() >= patience):
            return
        seen = len(client.events)
        await asyncio.sleep(quiet)
    raise AssertionError(f"the server never went quiet; last events {client.names(seen - 20)}")


async def _shown(client: ChainlitClient, text: str, *, since: int, limit: float = 20) -> None:
    """Wait until an event after ``since`` carries ``text`` (a message or a token)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while loop.time() < deadline:
        if any(text in str(event.data) for event in client.events[since:]):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{text!r} never shown; received {client.names(since)}")


async def _upload(
    http: httpx.AsyncClient,
    session_id: str,
    files: tuple[tuple[str, bytes, str], ...],
    ask_parent_id: str | None = None,
) -> list[dict[str, Any]]:
    params = {"session_id": session_id}
    if ask_parent_id:
        params["ask_parent_id"] = ask_parent_id
    refs = []
    for name, body, mime in files:
        response = await http.post(
            "/project/file", params=params, files={"file": (name, body, mime)}
        )
        response.raise_for_status()
        refs.append({"id": response.json()["id"]})
    return refs


async def play(url: str, scenario: Scenario) -> list[tuple[str, Any]]:
    """Connect, play every step, and return the events received, in order."""
    client = ChainlitClient(url, auth=chainlit_auth(chatProfile=scenario.chat_profile))
    http = httpx.AsyncClient(base_url=url, timeout=20)
    answer = scenario.answer

    closing = asyncio.Event()

    async def on_ask(data: Any = None, *_: Any) -> Any:
        if answer.silent:
            await closing.wait()
            raise asyncio.CancelledError  # ends the handler without an acknowledgement
        spec = (data or {}).get("spec", {})
        kind = spec.get("type")
        if kind == "action":
            wanted = answer.action
            shown = [e.data for e in client.events if e.name == "action"]
            for action in reversed(shown):
                if wanted is None or action.get("name") == wanted:
                    return action
            return None
        if kind == "file":
            parent = (data.get("msg") or {}).get("parentId")
            return await _upload(http, client.session_id, answer.files, parent)
        if kind == "element":
            return dict(answer.element)
        return _user_message(answer.text)

    client.answer_asks(on_ask)
    steps: dict[type[Any], Callable[[Any], Awaitable[None]]] = {}

    async def send(step: Send) -> None:
        refs = await _upload(http, client.session_id, step.files) if step.files else []
        message = _user_message(step.text)
        if step.command is not None:
            message["command"] = step.command
        if step.modes is not None:
            message["modes"] = step.modes
        mark = len(client.events)
        await client.emit("client_message", {"message": message, "fileReferences": refs})
        if step.stop_after is not None:
            await _shown(client, step.stop_after, since=mark)
            await client.emit("stop")

    async def click(step: Click) -> None:
        shown = [e.data for e in client.events if e.name == "action"]
        action = next(a for a in reversed(shown) if a.get("name") == step.name)
        response = await http.post(
            "/project/action", json={"action": action, "sessionId": client.session_id}
        )
        response.raise_for_status()

    async def settings(step: SetSettings) -> None:
        event = "chat_settings_edit" if step.edit else "chat_settings_change"
        await client.emit(event, step.values)

    async def window(step: WindowMessage) -> None:
        await client.emit("window_message", step.data)

    async def wait(step: Wait) -> None:
        await asyncio.sleep(step.seconds)

    async def get_settings(step: GetSettings) -> None:
        params = {"chat_profile": step.chat_profile} if step.chat_profile else {}
        response = await http.get("/project/settings", params=params)
        response.raise_for_status()
        picked: dict[str, Any] = {}
        for key in step.keys:
            value: Any = response.json()
            for part in key.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            picked[key] = value
        loop = asyncio.get_running_loop()
        client.events.append(Received("GET /project/settings", picked, loop.time()))

    steps.update({Send: send, Click: click, SetSettings: settings, WindowMessage: window})
    steps[Wait] = wait
    steps[GetSettings] = get_settings
    try:
        await client.start()
        await _settle(client, scenario.quiet)
        for step in scenario.steps:
            await steps[type(step)](step)
            await _settle(client, scenario.quiet)
    finally:
        closing.set()
        await client.close()
        await http.aclose()
    return [(event.name, event.data) for event in client.events]
