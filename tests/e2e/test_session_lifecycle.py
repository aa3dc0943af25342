"""Disconnect grace: on_chat_end runs once when the session really ends."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import socketio

from tests.support.client import ChainlitClient, chainlit_auth
from tests.support.fixtures import TEST_APPS, StackFactory


async def _lines_when(marker: Path, predicate: Any, timeout: float = 15) -> list[str]:
    deadline = asyncio.get_running_loop().time() + timeout
    lines: list[str] = []
    while asyncio.get_running_loop().time() < deadline:
        lines = marker.read_text().splitlines() if marker.exists() else []
        if predicate(lines):
            return lines
        await asyncio.sleep(0.1)
    raise AssertionError(f"marker lines never matched: {lines}")


async def test_chat_end_once_after_grace_not_on_transient_disconnect(
    make_stack: StackFactory, client_factory: Any, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[project]\nsession_timeout = 2\n")
    marker = tmp_path / "marker.txt"
    stack = make_stack(
        TEST_APPS / "lifecycle.py",
        config_file=config,
        extra_env={"SWITCHBOARD_TEST_MARKER": str(marker)},
    )
    client: ChainlitClient = client_factory(stack.url)
    await client.start()
    await client.wait_for("new_message", lambda m: m["output"] == "started", timeout=15)
    session_id = client.session_id

    # A transient disconnect, back within the grace period: no on_chat_end.
    await client.close()
    await asyncio.sleep(0.5)
    back: ChainlitClient = client_factory(stack.url, auth=dict(client.auth))
    await back.start()
    mark = len(back.events)
    await back.send("still me")
    await back.wait_for("new_message", lambda m: m["output"] == "got still me", since=mark)
    await asyncio.sleep(2.5)
    assert (await _lines_when(marker, lambda lines: len(lines) >= 1)) == [f"start {session_id}"]

    # A real end: gone longer than the grace. on_chat_end runs exactly once.
    await back.close()
    lines = await _lines_when(marker, lambda lines: len(lines) >= 2)
    await asyncio.sleep(1.5)
    assert marker.read_text().splitlines() == [f"start {session_id}", f"end {session_id}"]
    assert lines[1] == f"end {session_id}"


async def test_clear_session_ends_at_once(
    make_stack: StackFactory, client_factory: Any, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[project]\nsession_timeout = 3600\n")
    marker = tmp_path / "marker.txt"
    stack = make_stack(
        TEST_APPS / "lifecycle.py",
        config_file=config,
        extra_env={"SWITCHBOARD_TEST_MARKER": str(marker)},
    )
    client: ChainlitClient = client_factory(stack.url)
    await client.start()
    await client.wait_for("new_message", lambda m: m["output"] == "started", timeout=15)
    await client.emit("clear_session")
    await asyncio.sleep(0.2)
    await client.close()
    lines = await _lines_when(marker, lambda lines: len(lines) >= 2, timeout=10)
    assert lines == [f"start {client.session_id}", f"end {client.session_id}"]


async def test_restore_only_rejoins_a_live_session_and_never_starts_one(
    make_stack: StackFactory, client_factory: Any, tmp_path: Path
) -> None:
    """``restoreOnly`` (a reload in our UI): the live session with its stream from the
    start; an unknown or ended session is refused and none is created in its place."""
    marker = tmp_path / "marker.txt"
    stack = make_stack(
        TEST_APPS / "lifecycle.py", extra_env={"SWITCHBOARD_TEST_MARKER": str(marker)}
    )
    client: ChainlitClient = client_factory(stack.url)
    await client.start()
    await client.wait_for("new_message", lambda m: m["output"] == "started", timeout=15)
    await client.send("one")
    await client.wait_for("new_message", lambda m: m["output"] == "got one")
    await client.close()

    rejoin = {**client.auth, "restoreOnly": True, "lastEventId": "0-0"}
    again: ChainlitClient = client_factory(stack.url, auth=rejoin)
    await again.connect()  # no connection_successful: the session runs already
    await again.wait_for("new_message", lambda m: m["output"] == "got one")
    replayed = [
        e.data["output"]
        for e in again.events
        if e.name == "new_message" and e.data["type"] == "assistant_message"
    ]
    assert replayed == ["started", "got one"]
    await again.send("two")
    await again.wait_for("new_message", lambda m: m["output"] == "got two")
    assert marker.read_text().splitlines() == [f"start {client.session_id}"]

    # A session id the server does not know: refused, twice (the first made none).
    unknown = chainlit_auth(restoreOnly=True)
    for _ in range(2):
        refused: ChainlitClient = client_factory(stack.url, auth=dict(unknown))
        with pytest.raises(socketio.exceptions.ConnectionError):
            await refused.connect()
        assert refused.connect_error == {"message": "session not found"}

    # Once the session has ended, rejoining it is refused too.
    await again.emit("clear_session")
    await asyncio.sleep(0.2)
    await again.close()
    await _lines_when(marker, lambda lines: len(lines) >= 2, timeout=10)
    late: ChainlitClient = client_factory(stack.url, auth=dict(rejoin))
    with pytest.raises(socketio.exceptions.ConnectionError):
        await late.connect()
    assert late.connect_error == {"message": "session not found"}
