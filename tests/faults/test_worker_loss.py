"""A worker killed mid-callback: the user gets a clear outcome within seconds."""

from __future__ import annotations

import asyncio
import signal
import time
from typing import Any

from tests.support.client import ChainlitClient
from tests.support.fixtures import TEST_APPS, StackFactory

APP = TEST_APPS / "distributed.py"


async def test_sigkill_mid_callback_marks_the_run_failed_and_the_session_goes_on(
    make_stack: StackFactory, client_factory: Any
) -> None:
    stack = make_stack(APP, workers=1, extra_env={"SWITCHBOARD_LOCK_TTL_MS": "3000"})
    client: ChainlitClient = client_factory(stack.url)
    await client.start()
    await client.wait_for("new_message", lambda m: m["output"] == "ready", timeout=20)
    mark = len(client.events)
    await client.send("slow 200")
    run = await client.wait_for(
        "new_message", lambda m: m["name"] == "on_message", since=mark, timeout=10
    )
    await client.wait_for("stream_token", since=mark, timeout=10)
    stack.kill("worker-0", signal.SIGKILL)
    killed_at = time.monotonic()
    stack.start_worker(1)

    failed = await client.wait_for(
        "update_message",
        lambda m: m["id"] == run.data["id"] and m.get("isError") is True,
        since=mark,
        timeout=30,
    )
    noticed_after = time.monotonic() - killed_at
    assert "stopped unexpectedly" in failed.data["output"]
    assert noticed_after < 15
    await client.wait_for("task_end", since=client.events.index(failed))
    finals = [
        e
        for e in client.events[mark:]
        if e.name == "new_message" and e.data["output"].startswith("slow done")
    ]
    assert finals == []

    mark = len(client.events)
    await client.send("hi")
    await client.wait_for("new_message", lambda m: m["output"] == "echo hi", since=mark, timeout=15)
    await asyncio.sleep(0.5)
    replies = [
        e for e in client.events[mark:] if e.name == "new_message" and e.data["output"] == "echo hi"
    ]
    assert len(replies) == 1


async def test_sigterm_lets_the_running_callback_finish(
    make_stack: StackFactory, client_factory: Any
) -> None:
    stack = make_stack(APP, workers=1)
    client: ChainlitClient = client_factory(stack.url)
    await client.start()
    await client.wait_for("new_message", lambda m: m["output"] == "ready", timeout=20)
    stack.start_worker(1)
    mark = len(client.events)
    await client.send("slow 20")
    await client.wait_for("stream_token", since=mark, timeout=10)
    await client.send("queued behind")
    stack.kill("worker-0", signal.SIGTERM)
    await client.wait_for(
        "new_message", lambda m: m["output"] == "slow done 20", since=mark, timeout=30
    )
    await client.wait_for(
        "new_message", lambda m: m["output"] == "echo queued behind", since=mark, timeout=30
    )
    assert not [
        e for e in client.events[mark:] if e.name == "update_message" and e.data.get("isError")
    ]
