"""An app's own ``@cl.data_layer`` behind the whole stack (``SWITCHBOARD_PERSISTENCE_SCHEMA=app``).

The test app's data layer writes to a SQLite file and records every call it gets;
two users chat over Socket.IO and use the REST routes through the gateway. The data
layer must receive every write in stream order, never be asked for another user's
thread, and get what was written while it was down once it is back.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from switchboard.stack import LocalStack
from tests.support.client import ChainlitClient
from tests.support.fixtures import TEST_APPS, StackFactory
from tests.support.signin import header_sign_in

SECRET = "app-data-layer-secret-" + "z" * 40
CONFIG = """
[features]
allow_thread_sharing = true
"""


@dataclass
class Layer:
    """The test data layer's SQLite file, read from the test process."""

    db: Path
    down: Path

    def calls(self, since: int = 0) -> list[tuple[int, str, str | None, dict[str, Any]]]:
        with sqlite3.connect(self.db) as conn:
            rows = conn.execute(
                "SELECT seq, method, thread_id, detail FROM calls WHERE seq > ? ORDER BY seq",
                (since,),
            ).fetchall()
        return [(seq, method, thread, json.loads(detail)) for seq, method, thread, detail in rows]

    def last(self) -> int:
        calls = self.calls()
        return calls[-1][0] if calls else 0

    def step_writes(self, thread_id: str) -> list[tuple[str, str, str]]:
        """(method, step id, output) of the thread's message steps, in the order received.

        The ``run`` step around each ``on_message`` call is written too, as Chainlit does.
        """
        return [
            (method, detail["id"], detail.get("output") or "")
            for _, method, thread, detail in self.calls()
            if thread == thread_id
            and method in ("create_step", "update_step")
            and detail.get("type") != "run"
        ]


@dataclass
class User:
    name: str
    http: httpx.AsyncClient
    client: ChainlitClient


@pytest.fixture
def layer(tmp_path: Path) -> Layer:
    return Layer(tmp_path / "recording.db", tmp_path / "recording-down")


@pytest.fixture
def stack(make_stack: StackFactory, tmp_path: Path, layer: Layer) -> LocalStack:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG)
    return make_stack(
        TEST_APPS / "recording_data_layer_app.py",
        config_file=config,
        extra_env={
            "CHAINLIT_AUTH_SECRET": SECRET,
            "SWITCHBOARD_PERSISTENCE_SCHEMA": "app",
            "RECORDING_DB": str(layer.db),
            "RECORDING_DOWN": str(layer.down),
            # Retry a failing batch quickly, and keep it (not dead-letter it) for the test.
            "SWITCHBOARD_CLAIM_IDLE_MS": "500",
            "SWITCHBOARD_MAX_DELIVERIES": "1000",
        },
    )


async def _sign_in(stack: LocalStack, name: str, client_factory: Any) -> User:
    http = httpx.AsyncClient(base_url=stack.url, timeout=20)
    cookie = await header_sign_in(http, name)
    client: ChainlitClient = client_factory(stack.url, headers={"Cookie": f"access_token={cookie}"})
    await client.start()
    return User(name, http, client)


@pytest.fixture
async def users(stack: LocalStack, client_factory: Any) -> AsyncIterator[tuple[User, User]]:
    alice = await _sign_in(stack, "alice", client_factory)
    bob = await _sign_in(stack, "bob", client_factory)
    yield alice, bob
    for user in (alice, bob):
        await user.http.aclose()


async def _chat(user: User, text: str) -> tuple[str, str, str]:
    """Send ``text``; the user step's id, the reply's id and the thread id."""
    mark = len(user.client.events)
    sent = await user.client.send(text)
    reply = await user.client.wait_for(
        "new_message", lambda m: m["output"] == f"echo: {text}", since=mark, timeout=20
    )
    return sent["message"]["id"], reply.data["id"], reply.data["threadId"]


async def _until(what: str, check: Any, timeout: float = 30.0) -> Any:
    for _ in range(int(timeout * 10)):
        result = check()
        if result:
            return result
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _created_order(writes: list[tuple[str, str, str]]) -> list[str]:
    seen: list[str] = []
    for method, step_id, _ in writes:
        if step_id not in seen:
            assert method == "create_step", f"{step_id} updated before it was created"
            seen.append(step_id)
    return seen


async def test_every_write_in_order_and_reads_owner_checked(
    stack: LocalStack, users: tuple[User, User], layer: Layer
) -> None:
    alice, bob = users
    q1, a1, thread_id = await _chat(alice, "hello")
    q2, a2, _ = await _chat(alice, "again")
    mark = len(alice.client.events)
    q3 = (await alice.client.send("file"))["message"]["id"]
    note = await alice.client.wait_for("element", lambda e: e["name"] == "note", since=mark)

    # Every write reached the data layer, in the order the chat produced it.
    await _until("the element", lambda: any(c[1] == "create_element" for c in layer.calls()))
    writes = layer.step_writes(thread_id)
    assert _created_order(writes)[:5] == [q1, a1, q2, a2, q3]
    calls = [c[1] for c in layer.calls()]
    assert calls.index("create_element") > calls.index("update_thread")
    finals = {step_id: output for _, step_id, output in writes}
    assert finals[a1] == "echo: hello" and finals[a2] == "echo: again"
    owner = [c for c in layer.calls() if c[1] == "update_thread" and c[3]["user_id"]]
    assert owner and owner[0][2] == thread_id and owner[0][3]["user_id"] == "u-alice"
    [element] = [c for c in layer.calls() if c[1] == "create_element"]
    assert element[2] == thread_id and element[3] == {"id": note.data["id"], "size": 12}

    # Alice reads her thread, lists, renames, shares and rates through the data layer.
    thread = (await alice.http.get(f"/project/thread/{thread_id}")).json()
    shown = [s["id"] for s in thread["steps"] if s["type"] != "run"]
    assert shown == [q1, a1, q2, a2, q3, *shown[5:]] and len(shown) == 6
    assert thread["userIdentifier"] == "alice"
    listing = await alice.http.post("/project/threads", json={"pagination": {"first": 20}})
    assert [t["id"] for t in listing.json()["data"]] == [thread_id]
    element_url = f"/project/thread/{thread_id}/element/{note.data['id']}"
    assert (await alice.http.get(element_url)).json()["name"] == "note"
    renamed = await alice.http.put("/project/thread", json={"threadId": thread_id, "name": "Mine"})
    assert renamed.json() == {"success": True}
    saved = await alice.http.put(
        "/feedback", json={"feedback": {"forId": a1, "value": 1, "threadId": thread_id}}
    )
    assert saved.status_code == 200, saved.text

    # Bob gets nothing, and the data layer is only asked who owns the thread.
    before = layer.last()
    assert (await bob.http.get(f"/project/thread/{thread_id}")).status_code == 404
    assert (await bob.http.get(element_url)).status_code == 404
    stolen = await bob.http.put("/project/thread", json={"threadId": thread_id, "name": "x"})
    assert stolen.status_code == 404
    share = {"threadId": thread_id, "isShared": True}
    assert (await bob.http.put("/project/thread/share", json=share)).status_code == 404
    deleted = await bob.http.request("DELETE", "/project/thread", json={"threadId": thread_id})
    assert deleted.status_code == 404
    rated = await bob.http.put(
        "/feedback", json={"feedback": {"forId": a1, "value": 0, "threadId": thread_id}}
    )
    assert rated.status_code == 404
    theirs = await bob.http.post("/project/threads", json={"pagination": {"first": 20}})
    assert theirs.json()["data"] == []
    asked = layer.calls(before)
    about_alice = {method for _, method, thread, _ in asked if thread == thread_id}
    assert about_alice == {"get_thread_author"}
    assert all(c[3].get("userId") in (None, "u-bob") for c in asked if c[1] == "list_threads"), (
        asked
    )

    # Alice's own thread still reads back with her rename and rating.
    thread = (await alice.http.get(f"/project/thread/{thread_id}")).json()
    assert thread["name"] == "Mine"
    rated_step = next(s for s in thread["steps"] if s["id"] == a1)
    assert rated_step["feedback"]["value"] == 1
    gone = await alice.http.request("DELETE", "/project/thread", json={"threadId": thread_id})
    assert gone.json() == {"success": True}
    assert (await alice.http.get(f"/project/thread/{thread_id}")).status_code == 404


async def test_writes_wait_while_the_data_layer_is_down(
    stack: LocalStack, users: tuple[User, User], layer: Layer
) -> None:
    alice, _ = users
    q1, a1, thread_id = await _chat(alice, "before")
    await _until("the first reply", lambda: a1 in dict(
        (s, o) for _, s, o in layer.step_writes(thread_id)
    ))  # fmt: skip

    layer.down.touch()
    q2, a2, _ = await _chat(alice, "during")  # the chat does not wait for the data layer
    q3, a3, _ = await _chat(alice, "still down")
    await asyncio.sleep(1.5)
    stored = {s for _, s, _ in layer.step_writes(thread_id)}
    assert not stored & {q2, a2, q3, a3}

    layer.down.unlink()
    await _until(
        "the writes made while down",
        lambda: {q2, a2, q3, a3} <= {s for _, s, _ in layer.step_writes(thread_id)},
    )
    writes = layer.step_writes(thread_id)
    assert _created_order(writes) == [q1, a1, q2, a2, q3, a3]
    finals = {step_id: output for _, step_id, output in writes}
    assert finals[a2] == "echo: during" and finals[a3] == "echo: still down"


async def test_feedback_on_a_replica_that_never_saw_the_thread(
    stack: LocalStack, users: tuple[User, User], layer: Layer
) -> None:
    """A restarted persistence service knows nothing of the chat: rating a step named only
    by its id, and removing that rating, find the thread among the caller's own."""
    alice, bob = users
    _, answer, thread_id = await _chat(alice, "rate me")
    await _until("the reply", lambda: answer in {s for _, s, _ in layer.step_writes(thread_id)})

    await asyncio.to_thread(stack.restart, "persistence")
    saved = await alice.http.put("/feedback", json={"feedback": {"forId": answer, "value": 0}})
    assert saved.status_code == 200, saved.text
    feedback_id = saved.json()["feedbackId"]

    await asyncio.to_thread(stack.restart, "persistence")
    before = layer.last()
    taken = await bob.http.request("DELETE", "/feedback", json={"feedbackId": feedback_id})
    assert taken.status_code == 404
    assert all(thread != thread_id for _, _, thread, _ in layer.calls(before))
    removed = await alice.http.request("DELETE", "/feedback", json={"feedbackId": feedback_id})
    assert removed.status_code == 200, removed.text
    assert [c[3] for c in layer.calls(before) if c[1] == "delete_feedback"] == [{"id": feedback_id}]
