"""Uploads, elements, history, sharing and feedback through the gateway, checked per owner.

Two users sign in (header auth); every route is tried by the owner and by the
other user, and refused uploads must leave nothing in storage.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from switchboard.stack import LocalStack
from tests.support.client import ChainlitClient
from tests.support.fixtures import TEST_APPS, StackFactory
from tests.support.signin import FILES_CONFIG, header_sign_in

SECRET = "files-test-secret-" + "y" * 40
CONFIG = FILES_CONFIG.replace("{max_files}", "2")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass
class User:
    name: str
    http: httpx.AsyncClient
    client: ChainlitClient


@pytest.fixture
def stack(make_stack: StackFactory, tmp_path: Path) -> LocalStack:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG)
    return make_stack(
        TEST_APPS / "files_app.py",
        config_file=config,
        extra_env={"CHAINLIT_AUTH_SECRET": SECRET},
    )


async def _sign_in(stack: LocalStack, name: str, client_factory: Any) -> User:
    http = httpx.AsyncClient(base_url=stack.url, timeout=20)
    cookie = await header_sign_in(http, name)
    client: ChainlitClient = client_factory(stack.url, headers={"Cookie": f"access_token={cookie}"})
    await client.start()
    await client.wait_for("clear_call_fn", timeout=15)
    return User(name, http, client)


@pytest.fixture
async def users(stack: LocalStack, client_factory: Any) -> AsyncIterator[tuple[User, User]]:
    alice = await _sign_in(stack, "alice", client_factory)
    bob = await _sign_in(stack, "bob", client_factory)
    yield alice, bob
    for user in (alice, bob):
        await user.http.aclose()


def _stored(stack: LocalStack) -> list[Path]:
    assert stack.storage_dir is not None
    return [p for p in stack.storage_dir.rglob("*") if p.is_file()]


async def _upload(
    user: User,
    session_id: str,
    name: str,
    body: bytes,
    mime: str = "text/plain",
    **params: str,
) -> httpx.Response:
    return await user.http.post(
        "/project/file",
        params={"session_id": session_id, **params},
        files={"file": (name, body, mime)},
    )


async def test_uploads_are_validated_owned_and_reach_the_app(
    stack: LocalStack, users: tuple[User, User]
) -> None:
    alice, bob = users
    sid = alice.client.session_id

    refused = [
        (await _upload(alice, sid, "a.png", PNG_MAGIC, "image/png"), 400, "File type not allowed"),
        (await _upload(alice, sid, "a.exe", b"MZ", "text/plain"), 400, "extension"),
        (await _upload(alice, sid, "big.txt", b"x" * (1024 * 1024 + 1)), 413, "too large"),
        (await _upload(alice, str(uuid.uuid4()), "a.txt", b"hi"), 404, "Session not found"),
        (await _upload(bob, sid, "a.txt", b"hi"), 401, "Unauthorized"),
        (await _upload(alice, sid, "a.txt", b"hi", ask_parent_id="nope"), 404, "Parent"),
    ]
    for response, status, detail in refused:
        assert response.status_code == status, response.text
        assert detail in response.json()["detail"]
    anonymous = await httpx.AsyncClient(base_url=stack.url).post(
        "/project/file", params={"session_id": sid}, files={"file": ("a.txt", b"hi")}
    )
    assert anonymous.status_code == 401
    assert _stored(stack) == []

    first = await _upload(alice, sid, "one.txt", b"first file")
    second = await _upload(alice, sid, "two.txt", b"second file")
    assert first.status_code == second.status_code == 200
    third = await _upload(alice, sid, "three.txt", b"third")
    assert third.status_code == 400 and third.json()["detail"] == "Too many files"
    assert len(_stored(stack)) == 2

    one, two = first.json()["id"], second.json()["id"]
    assert (await alice.http.get(f"/project/file/{one}")).content == b"first file"
    for who in (bob.http, httpx.AsyncClient(base_url=stack.url)):
        denied = await who.get(f"/project/file/{one}", params={"session_id": sid})
        assert denied.status_code in (401, 404)
        assert b"first file" not in denied.content

    # The worker reads the files the message references; bob's references are dropped.
    mark = len(alice.client.events)
    payload = {
        "message": {
            "threadId": "",
            "id": "0b7c0c5e-1f65-4c55-9a7e-2f7b9d1c6a01",
            "name": "User",
            "type": "user_message",
            "output": "two files",
            "createdAt": "2026-01-01T00:00:00.000Z",
        },
        "fileReferences": [{"id": one}, {"id": two}],
    }
    await alice.client.emit("client_message", payload)
    got = await alice.client.wait_for(
        "new_message", lambda m: m["output"].startswith("got "), since=mark, timeout=20
    )
    assert got.data["output"] == "got one.txt=first file, two.txt=second file"

    mark = len(bob.client.events)
    payload["message"]["id"] = "1c8d1d6f-2a76-4d66-8b8f-3a8c0e2d7b12"
    await bob.client.emit("client_message", payload)
    echoed = await bob.client.wait_for(
        "new_message", lambda m: m["type"] == "assistant_message", since=mark, timeout=20
    )
    assert echoed.data["output"] == "echo two files"

    # After a message, a new batch may be uploaded.
    assert (await _upload(alice, sid, "next.txt", b"again")).status_code == 200


async def test_ask_file_upload(stack: LocalStack, users: tuple[User, User]) -> None:
    alice, _ = users
    mark = len(alice.client.events)
    asked: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()

    async def on_ask(data: Any, *_: Any) -> Any:
        asked.set_result(data)
        return await answer

    answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    alice.client.answer_asks(on_ask)
    await alice.client.send("upload")
    ask = await asyncio.wait_for(asked, 20)
    assert ask["spec"]["type"] == "file" and ask["spec"]["accept"] == ["text/plain"]
    sid = alice.client.session_id
    # The pending ask's spec rules now, not the spontaneous-upload config.
    wrong = await _upload(alice, sid, "notes.md", b"# hi", "text/markdown")
    assert wrong.status_code == 400
    good = await _upload(alice, sid, "notes.txt", b"hello ask")
    assert good.status_code == 200
    answer.set_result([{"id": good.json()["id"]}])
    done = await alice.client.wait_for(
        "new_message", lambda m: m["output"].startswith("asked "), since=mark, timeout=20
    )
    assert done.data["output"] == "asked notes.txt text/plain 9 hello ask"


async def _persisted(user: User, thread_id: str, predicate: Any) -> dict[str, Any]:
    for _ in range(100):
        response = await user.http.get(f"/project/thread/{thread_id}")
        if response.status_code == 200 and predicate(response.json()):
            thread: dict[str, Any] = response.json()
            return thread
        await asyncio.sleep(0.1)
    raise AssertionError(f"thread {thread_id} never reached the expected state")


async def test_elements_history_sharing_and_feedback_are_owned(
    stack: LocalStack, users: tuple[User, User]
) -> None:
    alice, bob = users
    mark = len(alice.client.events)
    await alice.client.send("image")
    image = await alice.client.wait_for("element", lambda e: e["type"] == "image", since=mark)
    text = await alice.client.wait_for("element", lambda e: e["type"] == "text", since=mark)
    message = await alice.client.wait_for(
        "new_message", lambda m: m["output"] == "here is a dot", since=mark
    )
    assert image.data["forId"] == message.data["id"] and image.data["mime"] == "image/png"
    assert text.data["display"] == "side"
    # As Chainlit: stored content goes out by key; the client builds the address.
    assert image.data["url"] is None and image.data["objectKey"] is None
    url = alice.client.element_url(image.data)
    assert (await alice.http.get(url)).content.startswith(PNG_MAGIC)
    assert (await alice.http.get(alice.client.element_url(text.data))).text == "a small note"
    assert (await bob.http.get(url)).status_code == 404

    thread_id = message.data["threadId"]
    thread = await _persisted(alice, thread_id, lambda t: len(t["elements"]) == 2)
    assert {e["name"] for e in thread["elements"]} == {"dot.png", "note"}
    element_id = image.data["id"]
    element = await alice.http.get(f"/project/thread/{thread_id}/element/{element_id}")
    assert element.status_code == 200 and element.json()["name"] == "dot.png"

    # Bob learns nothing from alice's ids, on any route.
    thread_404 = {"detail": "Thread not found"}
    assert (await bob.http.get(f"/project/thread/{thread_id}")).status_code == 404
    assert (
        await bob.http.get(f"/project/thread/{thread_id}/element/{element_id}")
    ).status_code == 404
    renamed = await bob.http.put("/project/thread", json={"threadId": thread_id, "name": "mine"})
    assert renamed.status_code == 404
    shared = await bob.http.put(
        "/project/thread/share", json={"threadId": thread_id, "isShared": True}
    )
    assert shared.status_code == 404
    assert (await bob.http.get(f"/project/share/{thread_id}")).json() == thread_404
    feedback = {"forId": message.data["id"], "value": 1, "comment": "great"}
    stolen = await bob.http.put("/feedback", json={"feedback": feedback, "sessionId": None})
    assert stolen.status_code == 404
    deleted = await bob.http.request("DELETE", "/project/thread", json={"threadId": thread_id})
    assert deleted.status_code == 404
    listing = await bob.http.post("/project/threads", json={"pagination": {"first": 20}})
    assert listing.status_code == 200 and listing.json()["data"] == []

    # Alice's own history.
    page = await alice.http.post(
        "/project/threads", json={"pagination": {"first": 20}, "filter": {"userId": "bob"}}
    )
    assert [t["id"] for t in page.json()["data"]] == [thread_id]
    assert page.json()["pageInfo"]["hasNextPage"] is False
    found = await alice.http.post(
        "/project/threads", json={"pagination": {"first": 20}, "filter": {"search": "IMAGE"}}
    )
    assert [t["id"] for t in found.json()["data"]] == [thread_id]
    renamed = await alice.http.put("/project/thread", json={"threadId": thread_id, "name": "Dots"})
    assert renamed.json() == {"success": True}
    assert (await alice.http.get(f"/project/thread/{thread_id}")).json()["name"] == "Dots"

    # Feedback reaches the app's on_feedback in alice's session.
    mark = len(alice.client.events)
    saved = await alice.http.put(
        "/feedback", json={"feedback": feedback, "sessionId": alice.client.session_id}
    )
    assert saved.status_code == 200 and saved.json()["success"] is True
    feedback_id = saved.json()["feedbackId"]
    await alice.client.wait_for(
        "new_message", lambda m: m["output"] == f"feedback 1 on {message.data['id']}", since=mark
    )
    rated = await _persisted(
        alice,
        thread_id,
        lambda t: any((s.get("feedback") or {}).get("value") == 1 for s in t["steps"]),
    )
    assert any((s.get("feedback") or {}).get("comment") == "great" for s in rated["steps"])
    assert (
        await bob.http.request("DELETE", "/feedback", json={"feedbackId": feedback_id})
    ).status_code == 404
    unrated = await alice.http.request("DELETE", "/feedback", json={"feedbackId": feedback_id})
    assert unrated.json() == {"success": True}

    # Sharing: bob sees the thread once alice shares it, without its private metadata.
    assert (
        await alice.http.put(
            "/project/thread/share", json={"threadId": thread_id, "isShared": True}
        )
    ).json() == {"success": True}
    view = await bob.http.get(f"/project/share/{thread_id}")
    assert view.status_code == 200 and view.json()["id"] == thread_id
    assert view.json()["metadata"]["is_shared"] is True
    assert not {"chat_settings", "env", "chat_profile"} & set(view.json()["metadata"])
    # Its stored files come through the share, and only those the thread shows.
    shown = {e["name"]: e for e in view.json()["elements"]}
    shared_url = shown["dot.png"]["url"]
    image_key = shown["dot.png"]["chainlitKey"]
    assert shared_url == f"/project/share/{thread_id}/file/{image_key}"
    assert (await bob.http.get(shared_url)).content.startswith(PNG_MAGIC)
    assert (await bob.http.get(shown["note"]["url"])).text == "a small note"
    assert (await bob.http.get(url)).status_code == 404  # the owner's route stays owned
    other = await _upload(alice, alice.client.session_id, "private.txt", b"not in the thread")
    other_id = other.json()["id"]
    assert (await bob.http.get(f"/project/share/{thread_id}/file/{other_id}")).status_code == 404
    assert (await bob.http.get(f"/project/share/{thread_id}/file/..%2Fx")).status_code in (
        404,
        422,
    )
    await alice.http.put("/project/thread/share", json={"threadId": thread_id, "isShared": False})
    assert (await bob.http.get(f"/project/share/{thread_id}")).status_code == 404
    assert (await bob.http.get(shared_url)).status_code == 404

    # A custom element from the browser keeps only its props: no path, no url.
    mark = len(alice.client.events)
    custom = {
        "id": "c0ffee00-0000-4000-8000-000000000001",
        "type": "custom",
        "name": "Form",
        "props": {"a": 1},
        "path": "/etc/passwd",
        "url": "http://127.0.0.1:1/secret",
        "forId": message.data["id"],
    }
    updated = await alice.http.put(
        "/project/element", json={"element": custom, "sessionId": alice.client.session_id}
    )
    assert updated.json() == {"success": True}
    shown = await alice.client.wait_for("element", lambda e: e["type"] == "custom", since=mark)
    assert shown.data["props"] == {"a": 1}
    assert shown.data.get("path") is None and shown.data.get("url") is None
    not_custom = await alice.http.put(
        "/project/element",
        json={"element": {**custom, "type": "file"}, "sessionId": alice.client.session_id},
    )
    assert not_custom.json() == {"success": False}
    foreign = await bob.http.put(
        "/project/element", json={"element": custom, "sessionId": alice.client.session_id}
    )
    assert foreign.status_code == 401

    # Deleting the thread removes it and its stored objects.
    files_before = len(_stored(stack))
    assert files_before >= 2
    gone = await alice.http.request("DELETE", "/project/thread", json={"threadId": thread_id})
    assert gone.json() == {"success": True}
    assert (await alice.http.get(f"/project/thread/{thread_id}")).status_code == 404
    assert (await alice.http.get(url)).status_code == 404
    assert len(_stored(stack)) <= files_before - 2


async def test_logout_runs_on_logout_in_a_worker(
    stack: LocalStack, users: tuple[User, User]
) -> None:
    alice, _ = users
    alice.http.cookies.set("theme", "dark")
    response = await alice.http.post("/logout")
    assert response.status_code == 200
    assert response.json() == {"bye": "alice", "theme": "dark"}
    cleared = response.headers.get_list("set-cookie")
    assert any(c.startswith("theme=") and "Max-Age=0" in c for c in cleared)
    assert any(c.startswith("access_token=") for c in cleared)
    # The token is revoked: the same cookie no longer works.
    assert (await alice.http.get("/user")).status_code == 401
