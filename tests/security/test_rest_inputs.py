"""Ids and free-form JSON from browsers are checked at the edge, by type.

Ids from paths and bodies were pasted into internal URLs: control characters
ended in server errors, and ``DELETE /project/thread {"threadId": "../files/<id>"}``
deleted one of the caller's files through the thread route. A message with
more than 100 ``fileReferences`` stored its user step and then failed; metadata
nested 200 levels deep was accepted by the gateway, dropped by the worker and
dead-lettered by persistence. A POST to a closed polling session was a 500.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis

from switchboard.internal_auth import mint_service_token
from switchboard.names import RedisNames
from switchboard.schema.depth import MAX_JSON_DEPTH
from switchboard.schema.ids import internal_path
from switchboard.schema.session import UserRef
from switchboard.stack import LocalStack
from tests.support.client import ChainlitClient, user_message
from tests.support.fixtures import TEST_APPS, StackFactory
from tests.support.signin import FILES_CONFIG, header_sign_in

SECRET = "rest-inputs-secret-" + "q" * 40
CONFIG = FILES_CONFIG.replace("{max_files}", "5")
BAD_IDS = {
    "nul": "\x00",
    "control characters": "a\x07b\x1bc\x7f",
    "header injection": "id\r\nX-Injected: 1",
    "traversal": "../files/x",
    "dot segment": "..",
    "slash": "a/b",
    "overlong": "a" * 300,
    "uuid repeated": str(uuid.uuid4()) * 8,
    "non-ascii": "\u00e9\U0001f600",
}


@dataclass
class Alice:
    http: httpx.AsyncClient
    client: ChainlitClient
    thread_id: str
    message_id: str


@pytest.fixture
def stack(make_stack: StackFactory, tmp_path: Path, postgres_url: str) -> LocalStack:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG)
    return make_stack(
        TEST_APPS / "files_app.py",
        config_file=config,
        database_url=postgres_url,
        extra_env={"CHAINLIT_AUTH_SECRET": SECRET},
    )


@pytest.fixture
async def alice(stack: LocalStack, client_factory: Any) -> AsyncIterator[Alice]:
    """Signed in, with a socket and a stored thread of one exchange."""
    http = httpx.AsyncClient(base_url=stack.url, timeout=20)
    cookie = await header_sign_in(http, "alice")
    client: ChainlitClient = client_factory(stack.url, headers={"Cookie": f"access_token={cookie}"})
    await client.start()
    await client.wait_for("clear_call_fn", timeout=15)
    await client.send("hello")
    reply = await client.wait_for("new_message", lambda m: m["output"] == "echo hello", timeout=20)
    alice = Alice(http, client, str(reply.data["threadId"]), str(reply.data["id"]))
    await _stored_step(alice, alice.message_id)
    yield alice
    await http.aclose()


async def _thread(alice: Alice) -> dict[str, Any]:
    response = await alice.http.get(f"/project/thread/{alice.thread_id}")
    assert response.status_code == 200, response.text
    thread: dict[str, Any] = response.json()
    return thread


async def _stored_step(alice: Alice, step_id: str) -> dict[str, Any]:
    for _ in range(100):
        response = await alice.http.get(f"/project/thread/{alice.thread_id}")
        if response.status_code == 200:
            for step in response.json()["steps"]:
                if step["id"] == step_id:
                    found: dict[str, Any] = step
                    return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"step {step_id} was never stored")


async def _upload(alice: Alice, body: bytes) -> str:
    response = await alice.http.post(
        "/project/file",
        params={"session_id": alice.client.session_id},
        files={"file": ("note.txt", body, "text/plain")},
    )
    assert response.status_code == 200, response.text
    file_id: str = response.json()["id"]
    return file_id


def _log_lines(stack: LocalStack, service: str) -> list[dict[str, Any]]:
    assert stack.log_dir is not None
    text = (stack.log_dir / f"{service}.log").read_text(errors="replace")
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def _gateway_requests(
    alice: Alice, bad: str, file_id: str
) -> list[tuple[str, str, dict[str, Any]]]:
    """Every gateway route that takes an id, with ``bad`` in one id at a time."""
    tid, sid, mid = alice.thread_id, alice.client.session_id, alice.message_id
    custom = {"type": "custom", "name": "c", "props": {}}
    upload = {"files": {"file": ("a.txt", b"x", "text/plain")}}
    return [
        ("GET", internal_path("project", "thread", bad), {}),
        ("PUT", "/project/thread", {"json": {"threadId": bad, "name": "x"}}),
        ("DELETE", "/project/thread", {"json": {"threadId": bad}}),
        ("PUT", "/project/thread/share", {"json": {"threadId": bad, "isShared": True}}),
        ("GET", internal_path("project", "share", bad), {}),
        ("GET", internal_path("project", "share", bad, "file", file_id), {}),
        ("GET", internal_path("project", "share", tid, "file", bad), {}),
        ("GET", internal_path("project", "thread", bad, "element", mid), {}),
        ("GET", internal_path("project", "thread", tid, "element", bad), {}),
        ("PUT", "/project/element", {"json": {"element": {**custom, "id": bad}, "sessionId": sid}}),
        ("PUT", "/project/element", {"json": {"element": {**custom, "id": mid}, "sessionId": bad}}),
        ("DELETE", "/project/element", {"json": {"element": {"id": bad}, "sessionId": sid}}),
        ("PUT", "/feedback", {"json": {"feedback": {"forId": bad, "value": 1}}}),
        ("PUT", "/feedback", {"json": {"feedback": {"forId": mid, "value": 1, "threadId": bad}}}),
        ("PUT", "/feedback", {"json": {"feedback": {"forId": mid, "value": 1, "id": bad}}}),
        ("PUT", "/feedback", {"json": {"feedback": {"forId": mid, "value": 1}, "sessionId": bad}}),
        ("DELETE", "/feedback", {"json": {"feedbackId": bad}}),
        ("POST", "/project/file", {"params": {"session_id": bad}, **upload}),
        ("POST", "/project/file", {"params": {"session_id": sid, "ask_parent_id": bad}, **upload}),
        ("GET", internal_path("project", "file", bad), {}),
        ("GET", internal_path("project", "file", file_id), {"params": {"session_id": bad}}),
        (
            "POST",
            "/project/action",
            {"json": {"action": {"name": "a", "id": "b"}, "sessionId": bad}},
        ),
        ("POST", "/set-session-cookie", {"json": {"session_id": bad}}),
        ("POST", "/project/threads", {"json": {"pagination": {"first": 5, "cursor": bad}}}),
        ("GET", internal_path("auth", "oauth", bad), {}),
        ("GET", internal_path("auth", "oauth", bad, "callback"), {}),
    ]


async def test_malformed_ids_are_refused_on_every_route_with_one_log_line_each(
    stack: LocalStack, alice: Alice
) -> None:
    file_id = await _upload(alice, b"kept")
    refusals_before = sum(
        1 for r in _log_lines(stack, "gateway") if r["event"] == "request refused"
    )
    failures: list[str] = []
    refused = 0
    for name, bad in BAD_IDS.items():
        for method, path, options in _gateway_requests(alice, bad, file_id):
            response = await alice.http.request(method, path, **options)
            if not 400 <= response.status_code < 500 or "detail" not in response.json():
                failures.append(f"{name}: {method} {path} -> {response.status_code}")
            refused += response.status_code == 422
    assert failures == []

    # Nothing was touched: the thread and the file are as they were.
    assert (await alice.http.get(f"/project/file/{file_id}")).content == b"kept"
    assert [s["id"] for s in (await _thread(alice))["steps"]][-1] == alice.message_id

    await asyncio.sleep(0.5)
    gateway = _log_lines(stack, "gateway")
    lines = [r for r in gateway if r["event"] == "request refused"][refusals_before:]
    assert len(lines) == refused
    assert {"method", "route", "reason", "status"} <= set(lines[0])
    assert all("\n" not in r["reason"] for r in lines)
    for service in ("gateway", "persistence", "auth"):
        assert [r["event"] for r in _log_lines(stack, service) if "exc" in r] == [], service


async def test_nul_characters_in_text_are_dropped_never_a_server_error(alice: Alice) -> None:
    """PostgreSQL refuses NUL in text: stored text and searches go without them."""
    renamed = await alice.http.put(
        "/project/thread", json={"threadId": alice.thread_id, "name": "re\x00named"}
    )
    assert renamed.status_code == 200, renamed.text
    assert (await _thread(alice))["name"] == "renamed"
    found = await alice.http.post("/project/threads", json={"filter": {"search": "re\x00name"}})
    assert found.status_code == 200, found.text
    assert [t["id"] for t in found.json()["data"]] == [alice.thread_id]
    rated = await alice.http.put(
        "/feedback", json={"feedback": {"forId": alice.message_id, "value": 1, "comment": "\x00"}}
    )
    assert rated.status_code == 200, rated.text


async def test_persistence_checks_ids_itself(stack: LocalStack, alice: Alice) -> None:
    """Defence in depth: an internal caller's bad id is a 404 or 422 there too."""
    file_id = await _upload(alice, b"kept")
    tid = alice.thread_id
    token = mint_service_token(
        stack.secret, service="gateway", audience="persistence", user=UserRef(identifier="alice")
    )
    url = f"http://127.0.0.1:{stack.ports['persistence']}"
    failures: list[str] = []
    async with httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=20
    ) as persistence:
        for name, bad in BAD_IDS.items():
            requests: list[tuple[str, str, dict[str, Any]]] = [
                ("GET", internal_path("threads", bad), {}),
                ("PATCH", internal_path("threads", bad), {"json": {"name": "x"}}),
                ("DELETE", internal_path("threads", bad), {}),
                ("PUT", internal_path("threads", bad, "share"), {"json": {"isShared": True}}),
                ("GET", internal_path("shared", bad), {}),
                ("GET", internal_path("shared", bad, "files", file_id), {}),
                ("GET", internal_path("shared", tid, "files", bad), {}),
                ("GET", internal_path("threads", tid, "elements", bad), {}),
                ("DELETE", internal_path("feedback", bad), {}),
                ("GET", internal_path("files", bad), {}),
                ("GET", internal_path("files", file_id), {"params": {"session_id": bad}}),
                ("DELETE", internal_path("files", bad), {}),
                ("POST", "/files", {"params": {"name": "a", "session_id": bad}, "content": b"x"}),
                ("POST", "/threads/search", {"json": {"pagination": {"cursor": bad}}}),
                ("PUT", "/feedback", {"json": {"forId": bad, "value": 1}}),
            ]
            if any(ord(c) < 32 or ord(c) == 127 for c in bad) or len(bad) > 255:
                # A file's name may hold any printable text; never control characters.
                upload = {"params": {"name": bad, "session_id": "s"}, "content": b"x"}
                requests.append(("POST", "/files", upload))
            for method, path, options in requests:
                response = await persistence.request(method, path, **options)
                if response.status_code not in (404, 422):
                    failures.append(f"{name}: {method} {path} -> {response.status_code}")
    assert failures == []
    assert (await alice.http.get(f"/project/file/{file_id}")).content == b"kept"
    assert [r["event"] for r in _log_lines(stack, "persistence") if "exc" in r] == []


async def test_a_thread_route_cannot_reach_a_file(alice: Alice) -> None:
    file_id = await _upload(alice, b"my own file")
    for method, body in (
        ("DELETE", {"threadId": f"../files/{file_id}"}),
        ("DELETE", {"threadId": f"..%2Ffiles%2F{file_id}"}),
        ("PUT", {"threadId": f"../files/{file_id}", "name": "x"}),
    ):
        response = await alice.http.request(method, "/project/thread", json=body)
        assert response.status_code == 422, response.text
        assert response.json()["detail"][0]["loc"] == ["body", "threadId"]
    still = await alice.http.get(f"/project/file/{file_id}")
    assert still.status_code == 200 and still.content == b"my own file"
    assert (await _thread(alice))["name"] != "x"


async def test_too_many_file_references_are_refused_before_anything_is_stored(
    alice: Alice,
) -> None:
    file_id = await _upload(alice, b"one file")
    refused = user_message("too many files")
    refused["fileReferences"] = [{"id": file_id}] + [{"id": str(uuid.uuid4())} for _ in range(100)]
    mark = len(alice.client.events)
    await alice.client.emit("client_message", refused)
    error = await alice.client.wait_for("error", since=mark)
    assert error.data["code"] == "invalid_message"
    assert "fileReferences" in error.data["message"]

    # The next message is taken, and it is the only one stored after the refusal.
    after = await alice.client.send("after")
    await alice.client.wait_for("new_message", lambda m: m["output"] == "echo after", since=mark)
    await _stored_step(alice, after["message"]["id"])
    ids = [s["id"] for s in (await _thread(alice))["steps"]]
    assert refused["message"]["id"] not in ids
    before_error = alice.client.names(mark)[: alice.client.names(mark).index("error")]
    assert "task_start" not in before_error


def _nested(depth: int) -> dict[str, Any]:
    """A dict ``depth`` levels deep: ``{"n": {"n": ... {"leaf": true}}}``."""
    value: dict[str, Any] = {"leaf": True}
    for _ in range(depth - 1):
        value = {"n": value}
    return value


async def test_metadata_deeper_than_the_shared_limit_is_refused_at_the_edge(
    stack: LocalStack, alice: Alice
) -> None:
    mark = len(alice.client.events)
    refused = []
    for depth in (MAX_JSON_DEPTH + 1, 200):
        payload = user_message(f"depth {depth}", metadata=_nested(depth))
        refused.append(payload["message"]["id"])
        since = len(alice.client.events)
        await alice.client.emit("client_message", payload)
        error = await alice.client.wait_for("error", since=since)
        assert error.data["code"] == "invalid_message"
        assert f"nested deeper than {MAX_JSON_DEPTH} levels" in error.data["message"]

    since = len(alice.client.events)
    await alice.client.emit("window_message", _nested(MAX_JSON_DEPTH + 1))
    error = await alice.client.wait_for("error", since=since)
    assert (error.data["code"], error.data["event"]) == ("invalid_message", "window_message")

    deepest = _nested(MAX_JSON_DEPTH)
    taken = user_message("deep but allowed", metadata=deepest)
    await alice.client.emit("client_message", taken)
    await alice.client.wait_for(
        "new_message", lambda m: m["output"] == "echo deep but allowed", since=mark, timeout=20
    )
    stored = await _stored_step(alice, taken["message"]["id"])
    assert stored["metadata"] == deepest
    ids = [s["id"] for s in (await _thread(alice))["steps"]]
    assert not set(refused) & set(ids)

    redis = aioredis.Redis.from_url(stack.redis_url)
    try:
        assert await redis.xlen(RedisNames(stack.redis_prefix).persist_dead) == 0
    finally:
        await redis.aclose()
    dropped = [r for r in _log_lines(stack, "worker-0") if "dropped" in r["event"]]
    assert dropped == []


async def test_a_post_to_a_closed_polling_session_is_a_400(stack: LocalStack) -> None:
    query = {"EIO": "4", "transport": "polling"}
    async with httpx.AsyncClient(base_url=stack.url, timeout=20) as http:
        opened = await http.get("/ws/socket.io/", params=query)
        assert opened.status_code == 200, opened.text
        sid = json.loads(opened.text[1:])["sid"]
        closed = await http.post("/ws/socket.io/", params={**query, "sid": sid}, content=b"1")
        assert closed.status_code == 200
        again = await http.post("/ws/socket.io/", params={**query, "sid": sid}, content=b"2")
        assert again.status_code == 400, again.text
        assert "Invalid session" in again.text
        unknown = await http.post("/ws/socket.io/", params={**query, "sid": "nope"}, content=b"2")
        assert unknown.status_code == 400
    assert [r["event"] for r in _log_lines(stack, "gateway") if "exc" in r] == []
