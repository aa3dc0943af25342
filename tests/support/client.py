"""A Chainlit-protocol test client over a real Socket.IO connection."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import socketio

__all__ = ("ChainlitClient", "Received", "chainlit_auth", "user_message")


@dataclass
class Received:
    name: str
    data: Any
    at: float
    event_id: str | None = None


def chainlit_auth(session_id: str | None = None, **overrides: Any) -> dict[str, Any]:
    """The connect payload Chainlit's web app sends (reference §1.2)."""
    auth: dict[str, Any] = {
        "sessionId": session_id or str(uuid.uuid4()),
        "clientType": "webapp",
        "threadId": "",
        "userEnv": "{}",
        "chatProfile": "",
    }
    auth.update(overrides)
    return auth


def user_message(text: str, **overrides: Any) -> dict[str, Any]:
    """A ``client_message`` payload as Chainlit's UI builds it."""
    message: dict[str, Any] = {
        "threadId": "",
        "id": str(uuid.uuid4()),
        "name": "User",
        "type": "user_message",
        "output": text,
        "createdAt": "2026-01-01T00:00:00.000Z",
        "metadata": {"location": "http://localhost/"},
    }
    message.update(overrides)
    return {"message": message, "fileReferences": []}


@dataclass
class ChainlitClient:
    url: str
    auth: dict[str, Any] = field(default_factory=chainlit_auth)
    headers: dict[str, str] = field(default_factory=dict)
    events: list[Received] = field(default_factory=list)
    connect_error: Any = None
    last_event_id: str | None = None

    def __post_init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self._changed = asyncio.Event()

        async def record(event: str, data: Any = None, event_id: Any = None) -> None:
            self.events.append(
                Received(
                    event,
                    data,
                    time.perf_counter(),
                    event_id if isinstance(event_id, str) else None,
                )
            )
            if isinstance(event_id, str):
                self.last_event_id = event_id
            self._changed.set()

        async def on_connect_error(data: Any = None) -> None:
            self.connect_error = data
            self._changed.set()

        self.sio.on("*", record)
        self.sio.on("connect_error", on_connect_error)

    def answer_asks(self, answer: Callable[[Any], Awaitable[Any]]) -> None:
        """Answer every ``ask`` with ``answer``; the asks are recorded like other events.

        Socket.IO's ``ask`` expects an acknowledgement, so it needs a handler of its own,
        which would otherwise replace the catch-all recorder for that event.
        """

        async def handle(data: Any = None, *_: Any) -> Any:
            self.events.append(Received("ask", data, time.perf_counter()))
            self._changed.set()
            return await answer(data)

        self.sio.on("ask", handle)

    @property
    def session_id(self) -> str:
        return str(self.auth["sessionId"])

    def element_url(self, element: dict[str, Any]) -> str:
        """Where Chainlit's UI fetches an element: its ``url``, else the stored file by key."""
        if element.get("url"):
            return str(element["url"])
        key = element.get("chainlitKey")
        assert key, f"element {element.get('name')!r} has neither url nor chainlitKey"
        return f"/project/file/{key}?session_id={self.session_id}"

    async def connect(self) -> None:
        await self.sio.connect(
            self.url,
            socketio_path="/ws/socket.io",
            auth=self.auth,
            headers=self.headers,
            transports=["websocket"],
            wait_timeout=10,
        )

    async def start(self) -> None:
        """Connect and say ``connection_successful``, as Chainlit's UI does."""
        await self.connect()
        await self.sio.emit("connection_successful")

    async def send(self, text: str, **overrides: Any) -> dict[str, Any]:
        payload = user_message(text, **overrides)
        await self.sio.emit("client_message", payload)
        return payload

    async def emit(self, event: str, data: Any = None) -> None:
        await self.sio.emit(event, data)

    def names(self, since: int = 0) -> list[str]:
        return [e.name for e in self.events[since:]]

    async def wait_for(
        self,
        name: str,
        predicate: Callable[[Any], bool] = lambda _: True,
        *,
        since: int = 0,
        timeout: float = 10.0,
    ) -> Received:
        deadline = asyncio.get_running_loop().time() + timeout
        checked = since
        while True:
            for event in self.events[checked:]:
                checked += 1
                if event.name == name and predicate(event.data):
                    return event
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise AssertionError(
                    f"no {name!r} within {timeout} s; received {self.names(since)}"
                )
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    async def close(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()
