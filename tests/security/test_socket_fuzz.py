"""A bounded fuzzer over Socket.IO: generated events against a live stack.

Each example is a fresh client sending a short run of events: Chainlit's event
names (and reserved and made-up ones) with payloads that are sometimes the
right shape with wrong values and sometimes anything JSON or binary. The stack
must answer each with an event or silence, never crash, never log a stack
trace, and keep serving a well-behaved client.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.client import ChainlitClient, user_message
from tests.support.fixtures import TEST_APPS, StackFactory

EVENTS = [
    "client_message",
    "edit_message",
    "window_message",
    "chat_settings_change",
    "chat_settings_edit",
    "stop",
    "audio_start",
    "audio_chunk",
    "audio_end",
    "connection_successful",
    "clear_session",
    "fetch_favorites",
    "message_favorite",
]
RESERVED = ["connect", "disconnect", "connect_error"]

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
step_fields = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(
            st.just(str(uuid.uuid4())), st.uuids(version=4).map(str), st.text(max_size=40)
        ),
        "threadId": st.text(max_size=40) | st.none(),
        "parentId": st.text(max_size=40) | st.none(),
        "type": st.sampled_from(["user_message", "assistant_message", "run", "tool"])
        | st.text(max_size=12),
        "output": st.text(max_size=200) | json_values,
        "name": st.text(max_size=20) | json_values,
        "createdAt": st.text(max_size=30),
        "metadata": json_values,
        "command": st.text(max_size=20) | st.none(),
        "modes": json_values,
    },
)
message_payloads = st.fixed_dictionaries(
    {"message": step_fields | json_values},
    optional={
        "fileReferences": st.lists(
            st.fixed_dictionaries({"id": st.text(max_size=40)}) | json_values, max_size=5
        )
        | st.none()
    },
)
audio_payloads = st.fixed_dictionaries(
    {},
    optional={
        "isStart": st.booleans() | json_values,
        "mimeType": st.sampled_from(["pcm16"]) | st.text(max_size=12),
        "elapsedTime": st.floats(allow_nan=False, allow_infinity=False) | json_values,
        "data": st.binary(max_size=2048) | json_values,
    },
)
payloads = st.one_of(json_values, message_payloads, audio_payloads, st.binary(max_size=256))
names = st.sampled_from(EVENTS) | st.sampled_from(RESERVED) | st.text(min_size=1, max_size=30)
events = st.lists(st.tuples(names, payloads), min_size=1, max_size=12)


@pytest.fixture
def fuzz_stack(make_stack: StackFactory, tmp_path: Path) -> Any:
    config = tmp_path / ".chainlit" / "config.toml"
    config.parent.mkdir()
    config.write_text(
        "[features]\nedit_message = true\nfavorites = true\n"
        "[features.audio]\nenabled = true\n"
        "[features.spontaneous_file_upload]\nenabled = true\n"
    )
    return make_stack(TEST_APPS / "event_limits_app.py", config_file=config)


async def _fuzz_once(url: str, batch: list[tuple[str, Any]]) -> None:
    client = ChainlitClient(url)
    try:
        await client.start()
        for name, payload in batch:
            if not client.sio.connected:
                break
            await client.sio.emit(name, payload)
        await asyncio.sleep(0.05)
    finally:
        await client.close()


async def _well_behaved(url: str, count: int) -> list[str]:
    client = ChainlitClient(url)
    try:
        await client.start()
        await client.wait_for("chat_settings", timeout=20)
        answers = []
        for index in range(count):
            since = len(client.events)
            await client.sio.emit("client_message", user_message(f"m{index}"))
            reply = await client.wait_for(
                "new_message",
                lambda m, i=index: str(m.get("output", "")).startswith(f"echo m{i} "),
                since=since,
                timeout=20,
            )
            answers.append(str(reply.data["output"]).split()[1])
        return answers
    finally:
        await client.close()


def test_fuzzed_events_never_break_the_stack(fuzz_stack: Any) -> None:
    sent: list[int] = []

    @settings(
        max_examples=40,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(batch=events)
    def fuzz(batch: list[tuple[str, Any]]) -> None:
        sent.append(len(batch))
        asyncio.run(_fuzz_once(fuzz_stack.url, batch))

    fuzz()
    assert len(sent) == 40

    for name, process in fuzz_stack.processes.items():
        assert process.poll() is None, f"{name} exited during the fuzz"
    answers = asyncio.run(_well_behaved(fuzz_stack.url, 5))
    assert answers == [f"m{i}" for i in range(5)]
    for log in sorted(fuzz_stack.log_dir.glob("*.log")):
        text = log.read_text(errors="replace")
        at = text.find("Traceback")
        assert at < 0, f"{log.name} has a stack trace:\n{text[max(0, at - 1000) : at + 3000]}"
