"""SDK features around the core, end to end through a real stack: app lifecycle
hooks, ``ui.cot`` stubs, author_rename on steps, copilot ``call_fn`` and audio."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from tests.support.client import ChainlitClient, Received, chainlit_auth
from tests.support.fixtures import TEST_APPS, StackFactory

APP = TEST_APPS / "sdk_surface.py"
STUB_KEYS = {"type", "name", "id", "parentId", "threadId", "input", "output"}


def _config(tmp_path: Path) -> Path:
    config = tmp_path / "config.toml"
    config.write_text("[features.audio]\nenabled = true\n")
    return config


async def _client(stack: Any, client_factory: Any, **auth: Any) -> ChainlitClient:
    client: ChainlitClient = client_factory(stack.url, auth=chainlit_auth(**auth))
    await client.start()
    await client.wait_for("clear_call_fn", timeout=15)
    return client


async def _lines(marker: Path, predicate: Any, timeout: float = 15) -> list[str]:
    deadline = time.monotonic() + timeout
    lines: list[str] = []
    while time.monotonic() < deadline:
        lines = marker.read_text().splitlines() if marker.exists() else []
        if predicate(lines):
            return lines
        await asyncio.sleep(0.1)
    raise AssertionError(f"marker lines never matched: {lines}")


async def test_app_startup_and_shutdown_run_once_per_worker(
    make_stack: StackFactory, tmp_path: Path
) -> None:
    marker = tmp_path / "marker.txt"
    stack = make_stack(APP, workers=2, extra_env={"SWITCHBOARD_TEST_MARKER": str(marker)})
    started = await _lines(marker, lambda lines: len(lines) >= 2)
    await asyncio.sleep(0.5)
    assert marker.read_text().splitlines() == started
    assert {line.split()[0] for line in started} == {"startup"}
    pids = {line.split()[1] for line in started}
    assert len(pids) == 2
    stack.stop()
    lines = marker.read_text().splitlines()
    assert sorted(line for line in lines if line.startswith("shutdown")) == sorted(
        f"shutdown {pid}" for pid in pids
    )


async def test_cot_hidden_sends_stubs_and_full_sends_steps(
    make_stack: StackFactory, client_factory: Any, tmp_path: Path
) -> None:
    stack = make_stack(APP, config_file=_config(tmp_path))
    shown: dict[str, list[Received]] = {}
    for profile in ("Full", "Hidden"):
        client = await _client(stack, client_factory, chatProfile=profile)
        mark = len(client.events)
        await client.send("steps")
        await client.wait_for("new_message", lambda m: m.get("output") == "answer", since=mark)
        await client.wait_for("task_end", since=mark)
        shown[profile] = client.events[mark:]

    def named(events: list[Received], event: str, name: str) -> list[dict[str, Any]]:
        return [e.data for e in events if e.name == event and e.data.get("name") == name]

    full, hidden = shown["Full"], shown["Hidden"]
    # full: the tool step with its content, the llm step streamed.
    assert named(full, "update_message", "lookup")[0]["output"] == "secret"
    assert named(full, "stream_start", "think")[0]["output"] == "a"
    think = named(full, "stream_start", "think")[0]["id"]
    streamed = [e.data["token"] for e in full if e.name == "stream_token" and e.data["id"] == think]
    assert "".join(streamed) == "b"
    # author_rename applies to steps named after the assistant.
    assert named(full, "update_message", "Bot")[0]["output"] == "by the assistant"

    # hidden: only stubs of the non-message steps, also while streaming.
    for event in ("new_message", "update_message"):
        (stub,) = named(hidden, event, "lookup")
        assert set(stub) == STUB_KEYS and stub["input"] == "" and stub["output"] == ""
        assert stub["type"] == "tool"
    think = named(hidden, "new_message", "think")
    assert len(think) == 2 and all(set(s) == STUB_KEYS and s["output"] == "" for s in think)
    assert not any(e.name in ("stream_start", "stream_token") for e in hidden)
    assert set(named(hidden, "update_message", "think")[0]) == STUB_KEYS
    # The run step and the message are shown in full.
    run = named(hidden, "update_message", "on_message")[0]
    assert run["type"] == "run" and run["input"] == "steps" and "isError" in run
    answer = next(
        e.data for e in hidden if e.name == "new_message" and e.data["output"] == "answer"
    )
    assert answer["type"] == "assistant_message" and answer["name"] == "Bot"


async def test_copilot_call_fn_answered_through_the_ack(
    make_stack: StackFactory, client_factory: Any, tmp_path: Path
) -> None:
    stack = make_stack(APP, config_file=_config(tmp_path))
    client: ChainlitClient = client_factory(stack.url, auth=chainlit_auth(clientType="copilot"))
    answers: list[Any] = [{"title": "Docs"}, "not an object"]
    calls: list[Any] = []

    async def call_fn(data: Any, *_: Any) -> Any:
        calls.append(data)
        client.events.append(Received("call_fn", data, time.perf_counter()))
        return answers.pop(0)

    client.sio.on("call_fn", call_fn)
    await client.start()
    await client.wait_for("clear_call_fn", timeout=15)
    mark = len(client.events)
    await client.send("copilot")
    said = await client.wait_for(
        "new_message", lambda m: m["output"].startswith("copilot said"), since=mark, timeout=15
    )
    assert said.data["output"] == "copilot said {'title': 'Docs'}"
    assert calls[0] == {"name": "get_title", "args": {"page": 1}}
    names = client.names(mark)
    assert (
        names.index("call_fn")
        < names.index("clear_call_fn")
        < names.index("new_message", names.index("clear_call_fn"))
    )
    await client.wait_for("task_end", since=mark)

    # A reply that is not an object is refused; the call then times out.
    mark = len(client.events)
    await client.send("copilot slow")
    refused = await client.wait_for("error", since=mark, timeout=15)
    assert refused.data["code"] == "invalid_answer" and refused.data["event"] == "call_fn"
    await client.wait_for("call_fn_timeout", since=mark, timeout=15)
    await client.wait_for("new_message", lambda m: m["output"] == "copilot said None", since=mark)
    assert "clear_call_fn" not in client.names(mark)


async def test_audio_start_chunks_end_and_oversized_chunk(
    make_stack: StackFactory, client_factory: Any, tmp_path: Path
) -> None:
    stack = make_stack(
        APP, config_file=_config(tmp_path), extra_env={"SWITCHBOARD_MAX_EVENT_BYTES": "4096"}
    )
    client = await _client(stack, client_factory)
    await client.emit("audio_start")
    connection = await client.wait_for("audio_connection", timeout=15)
    assert connection.data == "on"
    for index in range(2):
        await client.emit(
            "audio_chunk",
            {
                "isStart": index == 0,
                "mimeType": "pcm16",
                "elapsedTime": index * 50,
                "data": b"\x00\x01" * 50,
            },
        )
    await client.emit(
        "audio_chunk",
        {"isStart": False, "mimeType": "pcm16", "elapsedTime": 100, "data": b"\x00" * 5000},
    )
    too_large = await client.wait_for("error", timeout=15)
    assert too_large.data["code"] == "audio_chunk_too_large"
    await client.emit("audio_chunk", {"isStart": False, "mimeType": "pcm16", "data": "text"})
    invalid = await client.wait_for("error", lambda e: e["code"] == "invalid_audio")
    assert invalid.data["event"] == "audio_chunk"
    mark = len(client.events)
    await client.emit("audio_end")
    heard = await client.wait_for(
        "new_message", lambda m: m["output"].startswith("heard"), since=mark, timeout=15
    )
    assert heard.data["output"] == "heard 200 bytes in 2 chunks, 1 start"
    played = await client.wait_for("audio_chunk", since=mark)
    assert played.data == {"track": "reply", "mimeType": "pcm16", "data": b"\x01\x02\x03"}
    await client.wait_for("task_end", since=mark)
    names = client.names(mark)
    assert names[0] == "task_start" and names[-1] == "task_end"
    interaction = await client.wait_for("first_interaction", since=mark)
    assert interaction.data["interaction"] == "audio"
    run = next(
        e.data
        for e in client.events[mark:]
        if e.name == "new_message" and e.data["name"] == "on_audio_end"
    )
    assert run["type"] == "run" and heard.data["parentId"] == run["id"]
