"""One user's ids never reach another user's data, on any route or socket event.

Alice and bob sign in with passwords on one stack. Alice builds up real state:
a shared thread (user, tool and assistant steps, an image and a text element,
an action) and a private one (a message carrying an uploaded file, feedback,
a new name), a file she uploaded and never sent, and an open session waiting
on her file ask. Bob, with his own valid cookie, then tries her ids on every
route of the gateway's API description and on every client event it takes.

Each refusal is compared with the answer to an id of the same shape that
nobody holds: they must be the same, so bob learns nothing, not even that the
id exists. Afterwards alice reads everything back (names, share flags,
feedback, steps, elements, file bytes), her sockets have received nothing,
and her ask is still hers to answer. A visitor without a cookie gets 401 on
every route that touches user data.

The routes come from the running gateway's OpenAPI document and the events
from the gateway's event rules: one without a case here fails the suite.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
import socketio

from switchboard.names import RedisNames
from switchboard.stack import LocalStack
from switchboard_gateway.event_limits import DEFAULT_RULES
from tests.support.client import ChainlitClient, chainlit_auth, user_message
from tests.support.fixtures import TEST_APPS, StackFactory
from tests.support.signin import login_required

SECRET = "cross-user-secret-" + "q" * 40
PASSWORDS = {"alice": "alice-passphrase-31", "bob": "bob-passphrase-47"}
CONFIG = """
[features]
allow_thread_sharing = true
favorites = true
edit_message = true

[features.spontaneous_file_upload]
enabled = true
accept = ["text/plain", "image/png"]
max_files = 5
max_size_mb = 1
"""
PLANS = b"alice's private plans: do not show bob"
ORPHAN = b"alice's orphan upload, never sent"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
THREAD_404 = {"detail": "Thread not found"}
FILE_404 = {"detail": "File not found"}
UNAUTHORIZED = {"detail": "Unauthorized"}
SESSION_404 = {"detail": "Session not found"}


def _new_id() -> str:
    """An id of the same shape as every id alice holds, that nobody holds."""
    return str(uuid.uuid4())


# --- the two users and alice's state ------------------------------------------


@dataclass
class Person:
    name: str
    http: httpx.AsyncClient
    token: str
    user_id: str

    @property
    def cookie(self) -> dict[str, str]:
        return {"Cookie": f"access_token={self.token}"}


@dataclass
class World:
    stack: LocalStack
    client_factory: Any
    alice: Person
    bob: Person
    # Alice's session of the shared thread; it showed her the action.
    showing: ChainlitClient
    # Alice's session of the private thread; her file ask is pending in it.
    asking: ChainlitClient
    shared: str
    private: str
    shared_user_step: str
    tool_step: str
    shared_reply: str
    user_step: str
    reply: str
    feedback_id: str
    image: dict[str, Any]
    note: dict[str, Any]
    attached: dict[str, Any]
    uploaded: str
    orphan: str
    action: dict[str, Any]
    ask: dict[str, Any]
    answer: asyncio.Future[Any]
    bob_socket: ChainlitClient
    bob_thread: str
    bob_reply: str
    bob_image: dict[str, Any]
    # Events alice's sockets had received when bob started.
    marks: dict[str, int] = field(default_factory=dict)

    @property
    def files(self) -> dict[str, bytes]:
        """Alice's stored files as she reads them."""
        return {
            self.uploaded: PLANS,
            self.orphan: ORPHAN,
            self.note["chainlitKey"]: b"note of alice",
        }

    def mark(self) -> None:
        self.marks = {"showing": len(self.showing.events), "asking": len(self.asking.events)}

    def alice_heard(self) -> list[tuple[str, Any]]:
        heard = self.showing.events[self.marks["showing"] :]
        heard += self.asking.events[self.marks["asking"] :]
        return [(e.name, e.data) for e in heard]


@pytest.fixture
def stack(make_stack: StackFactory, tmp_path: Path) -> LocalStack:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG)
    return make_stack(
        TEST_APPS / "cross_user_app.py",
        config_file=config,
        extra_env={"CHAINLIT_AUTH_SECRET": SECRET},
    )


async def _sign_in(stack: LocalStack, name: str) -> Person:
    http = httpx.AsyncClient(base_url=stack.url, timeout=30)
    await login_required(http)
    login = await http.post("/login", data={"username": name, "password": PASSWORDS[name]})
    assert login.status_code == 200, login.text
    me = await http.get("/user")
    assert me.status_code == 200 and me.json()["identifier"] == name, me.text
    return Person(name, http, http.cookies["access_token"], me.json()["id"])


async def _open(stack: LocalStack, client_factory: Any, who: Person, **auth: Any) -> ChainlitClient:
    client: ChainlitClient = client_factory(
        stack.url, auth=chainlit_auth(**auth), headers=who.cookie
    )
    await client.start()
    await client.wait_for("clear_call_fn", timeout=20)
    return client


async def _persisted(
    who: Person, thread_id: str, predicate: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    for _ in range(200):
        response = await who.http.get(f"/project/thread/{thread_id}")
        if response.status_code == 200 and predicate(response.json()):
            thread: dict[str, Any] = response.json()
            return thread
        await asyncio.sleep(0.1)
    raise AssertionError(f"{who.name}'s thread {thread_id} never reached the expected state")


def _outputs(thread: dict[str, Any]) -> list[str]:
    return [s.get("output") or "" for s in thread["steps"]]


def _assistant(text: str) -> Callable[[Any], bool]:
    return lambda m: m.get("type") == "assistant_message" and m.get("output") == text


async def _upload(
    who: Person, session_id: str, name: str, body: bytes, **params: str
) -> httpx.Response:
    return await who.http.post(
        "/project/file",
        params={"session_id": session_id, **params},
        files={"file": (name, body, "text/plain")},
    )


@pytest.fixture
async def world(stack: LocalStack, client_factory: Any) -> Any:
    alice = await _sign_in(stack, "alice")
    bob = await _sign_in(stack, "bob")

    # The shared thread: user, tool and assistant steps, two elements, an action.
    showing = await _open(stack, client_factory, alice)
    sent = await showing.send("image for alice")
    image = await showing.wait_for("element", lambda e: e["type"] == "image", timeout=20)
    note = await showing.wait_for("element", lambda e: e["type"] == "text")
    action = await showing.wait_for("action", lambda a: a["name"] == "reveal")
    tool = await showing.wait_for("new_message", lambda m: m.get("name") == "draw")
    shown = await showing.wait_for("new_message", _assistant("here is a dot for alice"))
    shared = shown.data["threadId"]
    await _persisted(
        alice,
        shared,
        lambda t: len(t["elements"]) == 2 and "here is a dot for alice" in _outputs(t),
    )
    share = await alice.http.put(
        "/project/thread/share", json={"threadId": shared, "isShared": True}
    )
    assert share.json() == {"success": True}

    # The private thread: a message with an uploaded file, feedback, a new name.
    asking = await _open(stack, client_factory, alice)
    uploaded = await _upload(alice, asking.session_id, "plans.txt", PLANS)
    assert uploaded.status_code == 200, uploaded.text
    uploaded_id = uploaded.json()["id"]
    mark = len(asking.events)
    message = user_message("my plans")
    message["fileReferences"] = [{"id": uploaded_id}]
    await asking.emit("client_message", message)
    got = await asking.wait_for(
        "new_message", _assistant(f"got plans.txt={PLANS.decode()} for alice"), since=mark
    )
    attached = await asking.wait_for(
        "element", lambda e: e.get("chainlitKey") == uploaded_id, since=mark
    )
    private = got.data["threadId"]
    assert private != shared
    await _persisted(alice, private, lambda t: got.data["output"] in _outputs(t))
    rated = await alice.http.put(
        "/feedback",
        json={
            "feedback": {"forId": got.data["id"], "value": 1, "comment": "alice's own note"},
            "sessionId": asking.session_id,
        },
    )
    assert rated.status_code == 200, rated.text
    feedback_id = rated.json()["feedbackId"]
    await asking.wait_for(
        "new_message", _assistant(f"feedback 1 on {got.data['id']} for alice"), since=mark
    )
    renamed = await alice.http.put(
        "/project/thread", json={"threadId": private, "name": "alice private plans"}
    )
    assert renamed.json() == {"success": True}
    orphan = await _upload(alice, asking.session_id, "orphan.txt", ORPHAN)
    assert orphan.status_code == 200, orphan.text

    # The pending ask: alice answers it only at the end of each test.
    loop = asyncio.get_running_loop()
    asked: asyncio.Future[Any] = loop.create_future()
    answer: asyncio.Future[Any] = loop.create_future()

    async def on_ask(data: Any) -> Any:
        if not asked.done():
            asked.set_result(data)
        return await answer

    asking.answer_asks(on_ask)
    await asking.send("ask file")
    ask = await asyncio.wait_for(asked, 20)
    assert ask["spec"]["type"] == "file"
    await _persisted(
        alice,
        private,
        lambda t: (
            "send a text file" in _outputs(t)
            and any((s.get("feedback") or {}).get("value") == 1 for s in t["steps"])
            and len(t["elements"]) == 1
        ),
    )

    # Bob's own thread, so that his lists and his own ids are not empty.
    bob_socket = await _open(stack, client_factory, bob)
    await bob_socket.send("image for bob")
    bob_image = await bob_socket.wait_for("element", lambda e: e["type"] == "image", timeout=20)
    bob_shown = await bob_socket.wait_for("new_message", _assistant("here is a dot for bob"))
    bob_thread = bob_shown.data["threadId"]
    await _persisted(
        bob,
        bob_thread,
        lambda t: len(t["elements"]) == 2 and "here is a dot for bob" in _outputs(t),
    )

    w = World(
        stack=stack,
        client_factory=client_factory,
        alice=alice,
        bob=bob,
        showing=showing,
        asking=asking,
        shared=shared,
        private=private,
        shared_user_step=sent["message"]["id"],
        tool_step=tool.data["id"],
        shared_reply=shown.data["id"],
        user_step=message["message"]["id"],
        reply=got.data["id"],
        feedback_id=feedback_id,
        image=image.data,
        note=note.data,
        attached=attached.data,
        uploaded=uploaded_id,
        orphan=orphan.json()["id"],
        action=action.data,
        ask=ask,
        answer=answer,
        bob_socket=bob_socket,
        bob_thread=bob_thread,
        bob_reply=bob_shown.data["id"],
        bob_image=bob_image.data,
    )
    w.mark()
    yield w
    if not answer.done():
        answer.set_result([])
    for person in (alice, bob):
        await person.http.aclose()


async def _alice_state(w: World) -> dict[str, Any]:
    """Everything of alice's that bob must not change, read back as alice."""
    http = w.alice.http
    listing = await http.post("/project/threads", json={"pagination": {"first": 50}})
    assert listing.status_code == 200, listing.text
    threads = sorted(
        (t["id"], t["name"], (t.get("metadata") or {}).get("is_shared"))
        for t in listing.json()["data"]
    )
    full: dict[str, Any] = {}
    for thread_id in (w.shared, w.private):
        response = await http.get(f"/project/thread/{thread_id}")
        assert response.status_code == 200, f"alice lost her thread: {response.text}"
        thread = response.json()
        full[thread_id] = {
            "name": thread["name"],
            "owner": thread["userIdentifier"],
            "shared": (thread.get("metadata") or {}).get("is_shared"),
            "steps": sorted(
                json.dumps(
                    [
                        s["id"],
                        s["type"],
                        s.get("name"),
                        s.get("output"),
                        s.get("parentId"),
                        s.get("feedback"),
                        s.get("metadata"),
                    ],
                    sort_keys=True,
                )
                for s in thread["steps"]
            ),
            "elements": sorted(
                json.dumps(
                    [
                        e["id"],
                        e["type"],
                        e.get("name"),
                        e.get("chainlitKey"),
                        e.get("forId"),
                        e.get("props"),
                        e.get("display"),
                    ],
                    sort_keys=True,
                )
                for e in thread["elements"]
            ),
        }
    files = {}
    for file_id in (*w.files, w.image["chainlitKey"]):
        response = await http.get(f"/project/file/{file_id}")
        files[file_id] = (response.status_code, response.content)
    return {"threads": threads, "full": full, "files": files}


def _check_alice_files(state: dict[str, Any], w: World) -> None:
    for file_id, body in w.files.items():
        assert state["files"][file_id] == (200, body), file_id
    status, image = state["files"][w.image["chainlitKey"]]
    assert status == 200 and image.startswith(PNG_MAGIC)


async def _barrier(w: World, label: str) -> None:
    """Everything bob sent before is processed and persisted: his message after it is."""
    mark = len(w.bob_socket.events)
    text = f"barrier {label}"
    await w.bob_socket.send(text)
    await w.bob_socket.wait_for(
        "new_message", _assistant(f"echo {text} for bob"), since=mark, timeout=30
    )
    await _persisted(w.bob, w.bob_thread, lambda t: f"echo {text} for bob" in _outputs(t))


async def _alice_answers_her_ask(w: World) -> None:
    """Her ask survived everything bob did, and only her answer resolves it."""
    mark = len(w.asking.events)
    upload = await _upload(w.alice, w.asking.session_id, "answer.txt", b"alice answers")
    assert upload.status_code == 200, upload.text
    w.answer.set_result([{"id": upload.json()["id"]}])
    await w.asking.wait_for(
        "new_message",
        _assistant("asked answer.txt=alice answers for alice"),
        since=mark,
        timeout=30,
    )


# --- requests -----------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    method: str
    url: str
    json: Any = None
    params: dict[str, str] | None = None
    form: dict[str, str] | None = None
    upload: tuple[str, bytes, str] | None = None
    headers: dict[str, str] | None = None

    async def send(self, http: httpx.AsyncClient) -> httpx.Response:
        kwargs: dict[str, Any] = {}
        if self.json is not None:
            kwargs["json"] = self.json
        if self.params:
            kwargs["params"] = self.params
        if self.form:
            kwargs["data"] = self.form
        if self.upload:
            kwargs["files"] = {"file": self.upload}
        if self.headers:
            kwargs["headers"] = self.headers
        return await http.request(self.method, self.url, **kwargs)


def _shown(response: httpx.Response) -> str:
    """The exchange as it would be reported: request line, body, status, answer."""
    request = response.request
    try:
        body = request.content[:400].decode(errors="replace")
    except httpx.RequestNotRead:
        body = "<streamed>"
    return (
        f"{request.method} {request.url.raw_path.decode()} {body} -> "
        f"{response.status_code} {response.text[:400]}"
    )


async def _alike(
    http: httpx.AsyncClient, theirs: Probe, nobodys: Probe, status: int, body: Any = None
) -> httpx.Response:
    """Bob's request with alice's ids is refused exactly as one with ids nobody holds."""
    got = await theirs.send(http)
    control = await nobodys.send(http)
    assert got.status_code == status, _shown(got)
    if body is not None:
        assert got.json() == body, _shown(got)
    assert (got.status_code, got.content) == (control.status_code, control.content), (
        f"alice's ids are told apart from unknown ones:\n  {_shown(got)}\n  {_shown(control)}"
    )
    return got


async def _refused(http: httpx.AsyncClient, probe: Probe, status: int, body: Any) -> None:
    got = await probe.send(http)
    assert (got.status_code, got.json()) == (status, body), _shown(got)


# --- one case per route -------------------------------------------------------


async def _get_thread(w: World) -> None:
    bob = w.bob.http
    for thread_id in (w.private, w.shared):
        await _alike(
            bob,
            Probe("GET", f"/project/thread/{thread_id}"),
            Probe("GET", f"/project/thread/{_new_id()}"),
            404,
            THREAD_404,
        )
    assert (await bob.get(f"/project/thread/{w.bob_thread}")).status_code == 200


async def _get_element(w: World) -> None:
    bob = w.bob.http
    attempts = [
        (w.private, w.attached["id"]),
        (w.shared, w.image["id"]),
        (w.shared, w.note["id"]),
        (w.bob_thread, w.image["id"]),
        (w.bob_thread, w.attached["id"]),
    ]
    for thread_id, element_id in attempts:
        nobodys_thread = w.bob_thread if thread_id == w.bob_thread else _new_id()
        got = await _alike(
            bob,
            Probe("GET", f"/project/thread/{thread_id}/element/{element_id}"),
            Probe("GET", f"/project/thread/{nobodys_thread}/element/{_new_id()}"),
            404,
        )
        assert "alice" not in got.text
    own = await bob.get(f"/project/thread/{w.bob_thread}/element/{w.bob_image['id']}")
    assert own.status_code == 200 and own.json()["name"] == "dot.png"


async def _rename_thread(w: World) -> None:
    for thread_id in (w.private, w.shared):
        await _alike(
            w.bob.http,
            Probe("PUT", "/project/thread", json={"threadId": thread_id, "name": "bob's now"}),
            Probe("PUT", "/project/thread", json={"threadId": _new_id(), "name": "bob's now"}),
            404,
            THREAD_404,
        )


async def _delete_thread(w: World) -> None:
    for thread_id in (w.private, w.shared):
        await _alike(
            w.bob.http,
            Probe("DELETE", "/project/thread", json={"threadId": thread_id}),
            Probe("DELETE", "/project/thread", json={"threadId": _new_id()}),
            404,
            THREAD_404,
        )


async def _share_thread(w: World) -> None:
    for thread_id, flag in ((w.private, True), (w.shared, False), (w.shared, True)):
        await _alike(
            w.bob.http,
            Probe("PUT", "/project/thread/share", json={"threadId": thread_id, "isShared": flag}),
            Probe("PUT", "/project/thread/share", json={"threadId": _new_id(), "isShared": flag}),
            404,
            THREAD_404,
        )


async def _list_threads(w: World) -> None:
    alice_threads = {w.shared, w.private}
    filters: list[dict[str, Any]] = [
        {"userId": w.alice.user_id},
        {"userId": "alice"},
        {"userId": w.alice.user_id, "search": "plans"},
        {"search": "alice"},
        {"feedback": 1},
        {"feedback": 0},
    ]
    for shown in filters:
        page = await w.bob.http.post(
            "/project/threads", json={"pagination": {"first": 50}, "filter": shown}
        )
        assert page.status_code == 200, _shown(page)
        found = page.json()["data"]
        assert not alice_threads & {t["id"] for t in found}, _shown(page)
        assert all(t.get("userIdentifier") in (None, "bob") for t in found), _shown(page)
        assert "alice" not in json.dumps(found), _shown(page)
    everything = await w.bob.http.post("/project/threads", json={"pagination": {"first": 50}})
    assert w.bob_thread in {t["id"] for t in everything.json()["data"]}
    for cursor in (w.private, w.shared):
        await _alike(
            w.bob.http,
            Probe("POST", "/project/threads", json={"pagination": {"first": 5, "cursor": cursor}}),
            Probe(
                "POST", "/project/threads", json={"pagination": {"first": 5, "cursor": _new_id()}}
            ),
            200,
        )


async def _shared_view(w: World) -> None:
    await _alike(
        w.bob.http,
        Probe("GET", f"/project/share/{w.private}"),
        Probe("GET", f"/project/share/{_new_id()}"),
        404,
        THREAD_404,
    )
    # What alice chose to share is bob's to see, without its private metadata.
    view = await w.bob.http.get(f"/project/share/{w.shared}")
    assert view.status_code == 200 and view.json()["id"] == w.shared
    assert not {"chat_settings", "env", "chat_profile"} & set(view.json()["metadata"])
    assert "plans" not in view.text


async def _shared_file(w: World) -> None:
    bob = w.bob.http
    image_key = w.image["chainlitKey"]
    attempts = [
        (w.private, w.uploaded),  # a file of a thread that is not shared
        (w.private, image_key),  # a shared file named under the unshared thread
        (w.shared, w.uploaded),  # another thread's file under the shared one
        (w.shared, w.orphan),  # a file no element shows
        (w.bob_thread, w.uploaded),
    ]
    for thread_id, file_id in attempts:
        # Bob may view the shared thread: its unknown files are the control there.
        nobodys_thread = w.shared if thread_id == w.shared else _new_id()
        got = await _alike(
            bob,
            Probe("GET", f"/project/share/{thread_id}/file/{file_id}"),
            Probe("GET", f"/project/share/{nobodys_thread}/file/{_new_id()}"),
            404,
        )
        assert PLANS not in got.content and ORPHAN not in got.content
    shared = await bob.get(f"/project/share/{w.shared}/file/{image_key}")
    assert shared.status_code == 200 and shared.content.startswith(PNG_MAGIC)


async def _put_feedback(w: World) -> None:
    bob = w.bob.http

    def rate(**feedback: Any) -> Probe:
        return Probe("PUT", "/feedback", json={"feedback": {"value": 0, **feedback}})

    for step in (w.reply, w.user_step, w.shared_reply, w.tool_step):
        await _alike(bob, rate(forId=step), rate(forId=_new_id()), 404)
        await _alike(bob, rate(forId=step, threadId=w.private), rate(forId=_new_id()), 404)
        await _alike(
            bob, rate(forId=step, id=w.feedback_id), rate(forId=_new_id(), id=_new_id()), 404
        )
    # Bob's own step filed under alice's thread.
    await _alike(
        bob,
        rate(forId=w.bob_reply, threadId=w.private),
        rate(forId=w.bob_reply, threadId=_new_id()),
        404,
    )
    # Alice's session named for bob's own rating: on_feedback must not run there.
    for session_id in (w.asking.session_id, w.showing.session_id):
        saved = await bob.put(
            "/feedback",
            json={"feedback": {"forId": w.bob_reply, "value": 1}, "sessionId": session_id},
        )
        assert saved.status_code == 200, _shown(saved)
        assert saved.json()["feedbackId"] != w.feedback_id
    # Alice's feedback id on bob's own step: never taken over (telling it apart from
    # an unused id is the separate case test_feedback_ids_of_others_are_not_told_apart).
    taken = await bob.put(
        "/feedback",
        json={"feedback": {"forId": w.bob_reply, "value": 0, "id": w.feedback_id}},
    )
    assert taken.status_code in (200, 404), _shown(taken)
    if taken.status_code == 200:
        assert taken.json()["feedbackId"] != w.feedback_id, _shown(taken)


async def _delete_feedback(w: World) -> None:
    await _alike(
        w.bob.http,
        Probe("DELETE", "/feedback", json={"feedbackId": w.feedback_id}),
        Probe("DELETE", "/feedback", json={"feedbackId": _new_id()}),
        404,
    )


async def _get_file(w: World) -> None:
    bob = w.bob.http
    for file_id in (*w.files, w.image["chainlitKey"]):
        for params in (
            None,
            {"session_id": w.asking.session_id},
            {"session_id": w.showing.session_id},
            {"session_id": w.bob_socket.session_id},
        ):
            got = await _alike(
                bob,
                Probe("GET", f"/project/file/{file_id}", params=params),
                Probe("GET", f"/project/file/{_new_id()}", params=params),
                404,
                FILE_404,
            )
            assert PLANS not in got.content and PNG_MAGIC not in got.content


def _stored(stack: LocalStack) -> list[Path]:
    assert stack.storage_dir is not None
    return sorted(p for p in stack.storage_dir.rglob("*") if p.is_file())


async def _post_file(w: World) -> None:
    before = _stored(w.stack)
    upload = ("bob.txt", b"bob's answer to alice's ask", "text/plain")
    ask_ids = {w.ask["spec"]["step_id"], w.ask["msg"].get("parentId")} - {None}
    attempts: list[dict[str, str]] = [
        {"session_id": w.asking.session_id},
        {"session_id": w.showing.session_id},
        *({"session_id": w.asking.session_id, "ask_parent_id": i} for i in ask_ids),
    ]
    # A live session id of someone else is refused as Chainlit does (401), an unknown one
    # is "Session not found": the socket handshake tells them apart anyway ("authorization
    # failed" for a live session of another user), so this says nothing more.
    for params in attempts:
        await _refused(
            w.bob.http,
            Probe("POST", "/project/file", params=params, upload=upload),
            401,
            UNAUTHORIZED,
        )
    await _refused(
        w.bob.http,
        Probe("POST", "/project/file", params={"session_id": _new_id()}, upload=upload),
        404,
        SESSION_404,
    )
    assert _stored(w.stack) == before


async def _action(w: World) -> None:
    for session_id in (w.showing.session_id, w.asking.session_id):
        await _refused(
            w.bob.http,
            Probe("POST", "/project/action", json={"action": w.action, "sessionId": session_id}),
            401,
            UNAUTHORIZED,
        )
    await _refused(
        w.bob.http,
        Probe("POST", "/project/action", json={"action": w.action, "sessionId": _new_id()}),
        404,
        SESSION_404,
    )
    # Alice's action dict in bob's own session runs as bob, in bob's session.
    own = await w.bob.http.post(
        "/project/action", json={"action": w.action, "sessionId": w.bob_socket.session_id}
    )
    assert own.json() == {"success": True, "response": "revealed to bob"}, _shown(own)


def _custom(element_id: str, for_id: str | None) -> dict[str, Any]:
    return {
        "id": element_id,
        "type": "custom",
        "name": "Taken",
        "props": {"owner": "bob"},
        "display": "inline",
        "forId": for_id,
    }


async def _element_write(w: World, method: str) -> None:
    bob = w.bob.http
    for element in (w.image, w.note, w.attached):
        for session_id in (w.showing.session_id, w.asking.session_id):
            body = {"element": _custom(element["id"], element["forId"]), "sessionId": session_id}
            await _refused(bob, Probe(method, "/project/element", json=body), 401, UNAUTHORIZED)
        unknown = {"element": _custom(element["id"], None), "sessionId": _new_id()}
        await _refused(bob, Probe(method, "/project/element", json=unknown), 404, SESSION_404)
        # In bob's own session the id names nothing of alice's: accepted, changes nothing.
        own = {"element": _custom(element["id"], w.reply), "sessionId": w.bob_socket.session_id}
        answered = await Probe(method, "/project/element", json=own).send(bob)
        assert answered.json() == {"success": True}, _shown(answered)


async def _put_element(w: World) -> None:
    await _element_write(w, "PUT")


async def _delete_element(w: World) -> None:
    await _element_write(w, "DELETE")


async def _settings(w: World) -> None:
    settings = await w.bob.http.get("/project/settings")
    assert settings.status_code == 200 and "alice" not in settings.text


async def _user(w: World) -> None:
    me = await w.bob.http.get("/user")
    assert me.status_code == 200 and me.json()["identifier"] == "bob"
    assert me.json()["id"] != w.alice.user_id


async def _public(w: World, probe: Probe, status: int) -> httpx.Response:
    """A route without user data: bob's cookie changes nothing and shows nothing of alice."""
    got = await probe.send(w.bob.http)
    assert got.status_code == status, _shown(got)
    assert "alice" not in got.text, _shown(got)
    assert (await w.bob.http.get("/user")).json()["identifier"] == "bob"
    return got


async def _login(w: World) -> None:
    # Alice's name with bob's password opens nothing.
    form = {"username": "alice", "password": PASSWORDS["bob"]}
    got = await Probe("POST", "/login", form=form).send(w.bob.http)
    assert got.status_code == 401, _shown(got)
    assert (await w.bob.http.get("/user")).json()["identifier"] == "bob"


async def _logout(w: World) -> None:
    # Bob signs out (on a second login); alice's token and sockets go on working.
    other = await _sign_in(w.stack, "bob")
    try:
        assert (await other.http.post("/logout")).status_code == 200
        assert (await other.http.get("/user")).status_code == 401
    finally:
        await other.http.aclose()
    assert (await w.alice.http.get("/user")).json()["identifier"] == "alice"
    assert w.showing.sio.connected and w.asking.sio.connected
    assert (await w.bob.http.get("/user")).json()["identifier"] == "bob"


async def _jwt(w: World) -> None:
    async with httpx.AsyncClient(base_url=w.stack.url, timeout=30) as http:
        bearer = {"Authorization": f"Bearer {w.bob.token}"}
        got = await http.post("/auth/jwt", headers=bearer)
        assert got.status_code in (200, 401), _shown(got)
        if got.status_code == 200:
            assert (await http.get("/user")).json()["identifier"] == "bob"


async def _set_session_cookie(w: World) -> None:
    # Only a load-balancer hint: naming alice's session in it opens nothing of hers.
    async with httpx.AsyncClient(
        base_url=w.stack.url, timeout=30, cookies={"access_token": w.bob.token}
    ) as http:
        hint = await http.post("/set-session-cookie", json={"session_id": w.asking.session_id})
        assert hint.status_code == 200
        assert http.cookies.get("X-Chainlit-Session-id") == w.asking.session_id
        action = await http.post(
            "/project/action", json={"action": w.action, "sessionId": w.asking.session_id}
        )
        assert (action.status_code, action.json()) == (401, UNAUTHORIZED)
        upload = await http.post(
            "/project/file",
            params={"session_id": w.asking.session_id},
            files={"file": ("x.txt", b"x", "text/plain")},
        )
        assert upload.status_code == 401
        assert (await http.get(f"/project/thread/{w.private}")).status_code == 404


@dataclass(frozen=True)
class Route:
    """A route's request carrying alice's ids, what a visitor without a cookie gets for
    it, and bob's cross-user case."""

    probe: Callable[[World], Probe]
    anonymous: int
    check: Callable[[World], Awaitable[None]]
    # Open to visitors by design, as in Chainlit; the rest need a signed-in user.
    public: bool = False


def _public_route(probe: Callable[[World], Probe], anonymous: int, bob: int) -> Route:
    async def check(w: World) -> None:
        await _public(w, probe(w), bob)

    return Route(probe, anonymous, check, public=True)


def _element_probe(method: str) -> Callable[[World], Probe]:
    return lambda w: Probe(
        method,
        "/project/element",
        json={"element": _custom(w.image["id"], None), "sessionId": w.showing.session_id},
    )


def _mcp_body(method: str, session_id: str) -> dict[str, Any]:
    body: dict[str, Any] = {"sessionId": session_id, "name": "tools"}
    if method == "POST":
        body.update(clientType="streamable-http", url="http://127.0.0.1:9/mcp")
    return body


def _mcp(method: str, session_id: str) -> Probe:
    if method == "GET":  # the session's servers, asked by query
        return Probe(method, "/mcp", params={"sessionId": session_id})
    return Probe(method, "/mcp", json=_mcp_body(method, session_id))


def _mcp_probe(method: str) -> Callable[[World], Probe]:
    return lambda w: _mcp(method, w.showing.session_id)


def _mcp_case(method: str) -> Callable[[World], Awaitable[None]]:
    async def check(w: World) -> None:
        for session_id in (w.showing.session_id, w.asking.session_id):
            await _refused(w.bob.http, _mcp(method, session_id), 401, UNAUTHORIZED)
        await _refused(w.bob.http, _mcp(method, _new_id()), 404, SESSION_404)
        # In his own session bob learns only that this app has MCP off.
        own = _mcp(method, w.bob_socket.session_id)
        await _refused(w.bob.http, own, 400, {"detail": "This app does not support MCP."})

    return check


ROUTES: dict[tuple[str, str], Route] = {
    # Public by design (Chainlit's too): nothing of a user's is behind them.
    ("HEAD", "/"): _public_route(lambda w: Probe("HEAD", "/"), 200, 200),
    ("GET", "/health"): _public_route(lambda w: Probe("GET", "/health"), 200, 200),
    ("GET", "/auth/config"): _public_route(lambda w: Probe("GET", "/auth/config"), 200, 200),
    ("GET", "/project/translations"): _public_route(
        lambda w: Probe("GET", "/project/translations", params={"language": "en-US"}), 200, 200
    ),
    ("POST", "/login"): Route(
        lambda w: Probe("POST", "/login", form={"username": "alice", "password": "wrong"}),
        401,
        _login,
        public=True,
    ),
    ("POST", "/logout"): Route(lambda w: Probe("POST", "/logout"), 200, _logout, public=True),
    ("POST", "/auth/header"): _public_route(
        lambda w: Probe("POST", "/auth/header", headers={"X-Test-User": "alice"}), 400, 400
    ),
    ("POST", "/auth/jwt"): Route(lambda w: Probe("POST", "/auth/jwt"), 401, _jwt, public=True),
    ("GET", "/auth/oauth/{provider_id}"): _public_route(
        lambda w: Probe("GET", "/auth/oauth/github"), 400, 400
    ),
    ("GET", "/auth/oauth/{provider_id}/callback"): _public_route(
        lambda w: Probe("GET", "/auth/oauth/github/callback", params={"code": "x", "state": "y"}),
        400,
        400,
    ),
    ("POST", "/auth/oauth/azure-ad-hybrid/callback"): _public_route(
        lambda w: Probe(
            "POST", "/auth/oauth/azure-ad-hybrid/callback", form={"code": "x", "id_token": "y"}
        ),
        400,
        400,
    ),
    ("POST", "/set-session-cookie"): Route(
        lambda w: Probe("POST", "/set-session-cookie", json={"session_id": w.asking.session_id}),
        200,
        _set_session_cookie,
        public=True,
    ),
    # Signed in only.
    ("GET", "/user"): Route(lambda w: Probe("GET", "/user"), 401, _user),
    ("GET", "/project/settings"): Route(
        lambda w: Probe("GET", "/project/settings"), 401, _settings
    ),
    ("GET", "/project/thread/{thread_id}"): Route(
        lambda w: Probe("GET", f"/project/thread/{w.private}"), 401, _get_thread
    ),
    ("GET", "/project/thread/{thread_id}/element/{element_id}"): Route(
        lambda w: Probe("GET", f"/project/thread/{w.shared}/element/{w.image['id']}"),
        401,
        _get_element,
    ),
    ("PUT", "/project/thread"): Route(
        lambda w: Probe("PUT", "/project/thread", json={"threadId": w.private, "name": "x"}),
        401,
        _rename_thread,
    ),
    ("DELETE", "/project/thread"): Route(
        lambda w: Probe("DELETE", "/project/thread", json={"threadId": w.private}),
        401,
        _delete_thread,
    ),
    ("PUT", "/project/thread/share"): Route(
        lambda w: Probe(
            "PUT", "/project/thread/share", json={"threadId": w.private, "isShared": True}
        ),
        401,
        _share_thread,
    ),
    ("POST", "/project/threads"): Route(
        lambda w: Probe(
            "POST",
            "/project/threads",
            json={"pagination": {"first": 5}, "filter": {"userId": w.alice.user_id}},
        ),
        401,
        _list_threads,
    ),
    ("GET", "/project/share/{thread_id}"): Route(
        lambda w: Probe("GET", f"/project/share/{w.shared}"), 401, _shared_view
    ),
    ("GET", "/project/share/{thread_id}/file/{file_id}"): Route(
        lambda w: Probe("GET", f"/project/share/{w.shared}/file/{w.image['chainlitKey']}"),
        401,
        _shared_file,
    ),
    ("PUT", "/feedback"): Route(
        lambda w: Probe("PUT", "/feedback", json={"feedback": {"forId": w.reply, "value": 0}}),
        401,
        _put_feedback,
    ),
    ("DELETE", "/feedback"): Route(
        lambda w: Probe("DELETE", "/feedback", json={"feedbackId": w.feedback_id}),
        401,
        _delete_feedback,
    ),
    ("GET", "/project/file/{file_id}"): Route(
        lambda w: Probe(
            "GET", f"/project/file/{w.uploaded}", params={"session_id": w.asking.session_id}
        ),
        401,
        _get_file,
    ),
    ("POST", "/project/file"): Route(
        lambda w: Probe(
            "POST",
            "/project/file",
            params={"session_id": w.asking.session_id},
            upload=("x.txt", b"x", "text/plain"),
        ),
        401,
        _post_file,
    ),
    ("POST", "/project/action"): Route(
        lambda w: Probe(
            "POST", "/project/action", json={"action": w.action, "sessionId": w.showing.session_id}
        ),
        401,
        _action,
    ),
    ("GET", "/mcp"): Route(_mcp_probe("GET"), 401, _mcp_case("GET")),
    ("POST", "/mcp"): Route(_mcp_probe("POST"), 401, _mcp_case("POST")),
    ("DELETE", "/mcp"): Route(_mcp_probe("DELETE"), 401, _mcp_case("DELETE")),
    ("PUT", "/project/element"): Route(_element_probe("PUT"), 401, _put_element),
    ("DELETE", "/project/element"): Route(_element_probe("DELETE"), 401, _delete_element),
}
# Bob signs out last: every other case runs with his session still open.
LAST = ("POST", "/logout")


async def _gateway_routes(stack: LocalStack) -> list[tuple[str, str]]:
    """Every operation of the running gateway's API description."""
    async with httpx.AsyncClient(base_url=stack.gateway_ops_url, timeout=30) as ops:
        document = (await ops.get("/openapi.json")).json()
    return [
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
    ]


def _covered(routes: list[tuple[str, str]]) -> None:
    missing = sorted(set(routes) - set(ROUTES))
    assert not missing, f"routes without a cross-user case: {missing}"
    stale = sorted(set(ROUTES) - set(routes))
    assert not stale, f"cases for routes the gateway no longer has: {stale}"


# --- the tests ------------------------------------------------------------------


async def test_bob_gets_nothing_of_alices_on_any_route(world: World) -> None:
    w = world
    routes = await _gateway_routes(w.stack)
    _covered(routes)
    before = await _alice_state(w)
    _check_alice_files(before, w)
    assert before["full"][w.shared]["shared"] is True
    assert before["full"][w.private]["name"] == "alice private plans"
    ordered = sorted(routes, key=lambda route: route == LAST)
    for route in ordered:
        await ROUTES[route].check(w)
        assert await _alice_state(w) == before, f"alice's state changed after {route}"
    # Writes bob's requests queued (elements, steps) have landed by now.
    await _barrier(w, "rest")
    assert await _alice_state(w) == before
    assert w.alice_heard() == [], "bob's requests reached alice's sessions"
    await _alice_answers_her_ask(w)


async def test_no_cookie_gets_401_on_every_route(world: World) -> None:
    w = world
    routes = await _gateway_routes(w.stack)
    _covered(routes)
    before = await _alice_state(w)
    async with httpx.AsyncClient(base_url=w.stack.url, timeout=30) as anonymous:
        for route in routes:
            got = await ROUTES[route].probe(w).send(anonymous)
            assert got.status_code == ROUTES[route].anonymous, f"{route}: {_shown(got)}"
            assert "alice" not in got.text and PLANS not in got.content, _shown(got)
            if not ROUTES[route].public:
                assert got.json() in (
                    {"detail": "Invalid authentication token"},
                    UNAUTHORIZED,
                ), _shown(got)
        # Routes outside the API description: static pages and the ops paths' 404s.
        for path, status in (
            ("/healthz", 200),
            ("/favicon", 200),
            ("/logo", 200),
            ("/avatars/alice", 200),
            (f"/thread/{w.private}", 200),
            (f"/share/{w.shared}", 200),
            ("/openapi.json", 404),
            ("/docs", 404),
            ("/metrics", 404),
            ("/readyz", 404),
            (f"/project/{w.private}", 404),
        ):
            got = await anonymous.get(path)
            assert got.status_code == status, _shown(got)
            assert PLANS not in got.content and b"alice private plans" not in got.content
            assert w.private.encode() not in got.content, _shown(got)
        # Neither do a forged cookie nor another cookie name reach anything.
        for cookies in ({"access_token": "not-a-token"}, {"token": w.alice.token}):
            got = await anonymous.get(f"/project/thread/{w.private}", cookies=cookies)
            assert got.status_code == 401, _shown(got)
        for session_id in (w.asking.session_id, None):
            client: ChainlitClient = w.client_factory(
                w.stack.url, auth=chainlit_auth(session_id, threadId=w.private)
            )
            with pytest.raises(socketio.exceptions.ConnectionError):
                await client.connect()
            assert client.connect_error == {"message": "authentication failed"}
    assert await _alice_state(w) == before
    assert w.alice_heard() == []
    await _alice_answers_her_ask(w)


# --- one case per socket event ------------------------------------------------


async def _bob_socket(w: World, **auth: Any) -> ChainlitClient:
    return await _open(w.stack, w.client_factory, w.bob, **auth)


async def _round_trip(client: ChainlitClient, text: str, who: str = "bob") -> Any:
    """The session has handled everything sent before: its reply to this came."""
    mark = len(client.events)
    await client.send(text)
    return (
        await client.wait_for("new_message", _assistant(f"echo {text} for {who}"), since=mark)
    ).data


def _nothing_of_alice(client: ChainlitClient, w: World) -> None:
    """Bob's socket never carried alice's name, bytes or thread ids."""
    heard = json.dumps([[e.name, e.data] for e in client.events], default=str)
    for secret in ("alice", PLANS.decode(), ORPHAN.decode(), w.private, w.shared):
        assert secret not in heard, f"bob's socket carried {secret!r}: {heard[:2000]}"


async def _connect_to_alices_session(w: World) -> None:
    for session_id in (w.asking.session_id, w.showing.session_id):
        intruder: ChainlitClient = w.client_factory(
            w.stack.url, auth=chainlit_auth(session_id), headers=w.bob.cookie
        )
        with pytest.raises(socketio.exceptions.ConnectionError):
            await intruder.connect()
        assert intruder.connect_error == {"message": "authorization failed"}
        assert intruder.events == []
    assert w.asking.sio.connected and w.showing.sio.connected


async def _resume_alices_thread(w: World) -> None:
    seen: dict[str, list[str]] = {}
    for label, thread_id in (("private", w.private), ("shared", w.shared), ("nobody", _new_id())):
        client = await _bob_socket(w, threadId=thread_id)
        error = await client.wait_for("resume_thread_error", timeout=20)
        assert error.data == "Thread not found."
        reply = await _round_trip(client, f"after resuming {label}")
        assert reply["threadId"] not in (w.private, w.shared)
        names = client.names()
        assert "resume_thread" not in names
        seen[label] = sorted(set(names))
        _nothing_of_alice(client, w)
    assert seen["private"] == seen["shared"] == seen["nobody"]


async def _client_message(w: World) -> None:
    client = await _bob_socket(w)
    replies = []
    for refs, parent in (
        ([w.uploaded, w.orphan, w.image["chainlitKey"], w.note["chainlitKey"]], w.reply),
        ([_new_id(), _new_id()], _new_id()),
    ):
        mark = len(client.events)
        payload = user_message("files please", threadId=w.private, parentId=parent)
        payload["fileReferences"] = [{"id": ref} for ref in refs]
        await client.emit("client_message", payload)
        reply = await client.wait_for(
            "new_message", lambda m: m.get("type") == "assistant_message", since=mark, timeout=20
        )
        assert "element" not in client.names(mark)
        assert reply.data["threadId"] != w.private
        replies.append(reply.data["output"])
    assert replies == ["echo files please for bob"] * 2
    # Alice's step ids and thread in bob's message: his own step, in his own thread.
    for step in (w.user_step, w.reply, w.shared_user_step):
        mark = len(client.events)
        await client.send(f"reusing {step[:8]}", id=step, threadId=w.private)
        reply = await client.wait_for(
            "new_message", _assistant(f"echo reusing {step[:8]} for bob"), since=mark
        )
        assert reply.data["threadId"] != w.private
        assert step not in [e.data.get("id") for e in client.events[mark:]]
    _nothing_of_alice(client, w)


async def _edit_message(w: World) -> None:
    client = await _bob_socket(w)
    mine = await client.send("first words")
    await client.wait_for("new_message", _assistant("echo first words for bob"))
    for step in (w.user_step, w.shared_user_step, _new_id()):
        mark = len(client.events)
        edited = user_message("hijacked", id=step, threadId=w.private)
        await client.emit("edit_message", {"message": edited["message"]})
        # Bob's own edit after it: once its reply is in, the one before was handled.
        own = user_message(f"edited after {step[:8]}", id=mine["message"]["id"])
        await client.emit("edit_message", {"message": own["message"]})
        await client.wait_for(
            "new_message", _assistant(f"echo edited after {step[:8]} for bob"), since=mark
        )
        touched = [
            e.data.get("id")
            for e in client.events[mark:]
            if e.name in ("update_message", "delete_message", "new_message")
        ]
        assert step not in touched
        assert "hijacked" not in json.dumps([e.data for e in client.events[mark:]], default=str)
    _nothing_of_alice(client, w)


async def _message_favorite(w: World) -> None:
    client = await _bob_socket(w)
    for step in (w.reply, w.shared_reply, _new_id()):
        mark = len(client.events)
        favorite = user_message("", id=step, threadId=w.private, metadata={"favorite": True})
        await client.emit("message_favorite", {"message": favorite["message"]})
        await client.emit("fetch_favorites")
        listed = await client.wait_for("set_favorites", since=mark)
        assert listed.data == []
        assert "update_message" not in client.names(mark)
    _nothing_of_alice(client, w)


async def _fetch_favorites(w: World) -> None:
    client = await _bob_socket(w)
    await client.emit("fetch_favorites")
    assert (await client.wait_for("set_favorites")).data == []


async def _window_message(w: World) -> None:
    client = await _bob_socket(w)
    ids = {"sessionId": w.asking.session_id, "threadId": w.private, "to": "alice"}
    await client.emit("window_message", ids)
    await client.wait_for("new_message", _assistant("window for bob"))
    _nothing_of_alice(client, w)


async def _chat_settings(w: World, event: str) -> None:
    client = await _bob_socket(w)
    mark = len(client.events)
    await client.emit(event, {"sessionId": w.asking.session_id, "threadId": w.private})
    refused = await client.wait_for("error", lambda e: e.get("event") == event, since=mark)
    assert refused.data["code"] == "invalid_settings"
    if event == "chat_settings_change":
        await client.emit(event, {})
        await client.wait_for("new_message", _assistant("settings for bob"), since=mark)
    await _round_trip(client, f"after {event}")
    _nothing_of_alice(client, w)


async def _chat_settings_change(w: World) -> None:
    await _chat_settings(w, "chat_settings_change")


async def _chat_settings_edit(w: World) -> None:
    await _chat_settings(w, "chat_settings_edit")


async def _stop(w: World) -> None:
    # Bob's stop ends bob's work only: alice's ask stays pending (answered at the end).
    client = await _bob_socket(w)
    await client.emit("stop", {"sessionId": w.asking.session_id})
    await client.wait_for("new_message", _assistant("stopped for bob"), timeout=20)
    _nothing_of_alice(client, w)


async def _audio(w: World, event: str, data: Any) -> None:
    client = await _bob_socket(w)
    await client.emit(event, data)
    await _round_trip(client, f"after {event}")
    _nothing_of_alice(client, w)


async def _audio_start(w: World) -> None:
    await _audio(w, "audio_start", {"sessionId": w.asking.session_id})


async def _audio_chunk(w: World) -> None:
    chunk = {"isStart": True, "mimeType": "pcm16", "elapsedTime": 0, "data": b"\x00\x01" * 8}
    await _audio(w, "audio_chunk", chunk)


async def _audio_end(w: World) -> None:
    await _audio(w, "audio_end", {"sessionId": w.asking.session_id})


async def _connection_successful(w: World) -> None:
    client = await _bob_socket(w)
    await client.emit("connection_successful", {"sessionId": w.asking.session_id})
    await _round_trip(client, "after connection_successful")
    _nothing_of_alice(client, w)


async def _clear_session(w: World) -> None:
    client = await _bob_socket(w)
    await client.emit("clear_session", {"sessionId": w.asking.session_id})
    await _round_trip(client, "after clear_session")
    await client.close()


async def _answer_with_alices_files(w: World) -> None:
    """Bob's own ask, answered with alice's file ids: they resolve to nothing."""
    client = await _bob_socket(w)
    answers = iter([[{"id": w.uploaded}], [{"id": w.orphan}], [{"id": _new_id()}]])

    async def answer(data: Any) -> Any:
        return next(answers)

    client.answer_asks(answer)
    for _ in range(3):
        mark = len(client.events)
        await client.send("ask file")
        done = await client.wait_for(
            "new_message",
            lambda m: m.get("type") == "assistant_message" and "for bob" in m["output"],
            since=mark,
            timeout=30,
        )
        assert done.data["output"] == "no file for bob"
        assert "element" not in client.names(mark)
    _nothing_of_alice(client, w)


SOCKET_EVENTS: dict[str, Callable[[World], Awaitable[None]]] = {
    "client_message": _client_message,
    "edit_message": _edit_message,
    "window_message": _window_message,
    "chat_settings_change": _chat_settings_change,
    "chat_settings_edit": _chat_settings_edit,
    "stop": _stop,
    "audio_start": _audio_start,
    "audio_chunk": _audio_chunk,
    "audio_end": _audio_end,
    "connection_successful": _connection_successful,
    "clear_session": _clear_session,
    "fetch_favorites": _fetch_favorites,
    "message_favorite": _message_favorite,
}
# The handshake and the ask acknowledgement carry ids too, outside the event rules.
HANDSHAKE_AND_ACKS: dict[str, Callable[[World], Awaitable[None]]] = {
    "connect: alice's sessionId": _connect_to_alices_session,
    "connect: alice's threadId": _resume_alices_thread,
    "ask ack: alice's file ids": _answer_with_alices_files,
}


async def test_bob_gets_nothing_of_alices_on_any_socket_event(world: World) -> None:
    w = world
    handled = set(DEFAULT_RULES) - {"unknown"}
    assert set(SOCKET_EVENTS) == handled, (
        f"events without a cross-user case: {sorted(handled - set(SOCKET_EVENTS))}"
    )
    before = await _alice_state(w)
    for name, case in [*HANDSHAKE_AND_ACKS.items(), *SOCKET_EVENTS.items()]:
        await case(w)
        assert await _alice_state(w) == before, f"alice's state changed after {name}"
    await _barrier(w, "sockets")
    assert await _alice_state(w) == before
    assert w.alice_heard() == [], "bob's events reached alice's sessions"
    await _alice_answers_her_ask(w)


# --- leaks: an id of alice's is told apart from an unknown one -----------------------


async def test_feedback_ids_of_others_are_not_told_apart(world: World) -> None:
    """Bob rates his own step naming alice's feedback id, then an id nobody holds.

    The answers must not differ: a 404 for hers and a 200 for the unused one tells
    bob her feedback id exists. Nor may an unused id be adopted while hers is not.
    """
    w = world
    before = await _alice_state(w)
    unused = _new_id()
    theirs = await w.bob.http.put(
        "/feedback", json={"feedback": {"forId": w.bob_reply, "value": 0, "id": w.feedback_id}}
    )
    nobodys = await w.bob.http.put(
        "/feedback", json={"feedback": {"forId": w.bob_reply, "value": 0, "id": unused}}
    )
    assert await _alice_state(w) == before
    assert theirs.status_code == nobodys.status_code, (
        f"alice's feedback id is told apart:\n  {_shown(theirs)}\n  {_shown(nobodys)}"
    )
    if theirs.status_code == 200:
        assert theirs.json()["feedbackId"] != w.feedback_id
        adopted = nobodys.json()["feedbackId"] == unused
        assert not adopted, f"an unused id is adopted, alice's is not: {_shown(nobodys)}"


async def test_step_ids_of_others_are_not_told_apart(world: World) -> None:
    """Bob sends a message under alice's step id, then under an unused one.

    Both are his messages in his own thread; if only the unused id is kept there,
    reading his own thread tells him which ids are someone else's steps.
    """
    w = world
    client = w.bob_socket
    kept = {}
    for label, step in (("theirs", w.user_step), ("nobody", _new_id())):
        mark = len(client.events)
        await client.send(f"under {label}", id=step)
        await client.wait_for("new_message", _assistant(f"echo under {label} for bob"), since=mark)
        thread = await _persisted(
            w.bob, w.bob_thread, lambda t, x=label: f"echo under {x} for bob" in _outputs(t)
        )
        kept[label] = any(s["id"] == step for s in thread["steps"])
    assert kept["theirs"] == kept["nobody"], (
        f"bob's own thread keeps his step under an unused id ({kept['nobody']}) but not "
        f"under alice's step id ({kept['theirs']}): client_message with "
        f"message.id={w.user_step}, then GET /project/thread/{w.bob_thread}"
    )


async def test_element_ids_of_others_are_not_told_apart(world: World) -> None:
    """Bob updates a custom element of his own session under alice's element id, then
    under an unused one, and reads each back from his own thread."""
    w = world
    bob = w.bob.http
    answers = {}
    for label, element_id in (("theirs", w.image["id"]), ("nobody", _new_id())):
        body = {
            "element": _custom(element_id, w.bob_reply),
            "sessionId": w.bob_socket.session_id,
        }
        put = await bob.put("/project/element", json=body)
        assert put.json() == {"success": True}, _shown(put)
        await _barrier(w, f"element {label}")
        read = await bob.get(f"/project/thread/{w.bob_thread}/element/{element_id}")
        answers[label] = read
    theirs, nobodys = answers["theirs"], answers["nobody"]
    assert theirs.status_code == nobodys.status_code, (
        f"alice's element id is told apart:\n  {_shown(theirs)}\n  {_shown(nobodys)}"
    )


async def test_a_refused_restore_leaves_the_owners_session_to_end(
    make_stack: StackFactory, tmp_path: Path, client_factory: Any, redis_prefix: str
) -> None:
    """Bob's refused connect with alice's disconnected session id must not keep it alive.

    Alice leaves; her session waits out its grace, then ends (on_chat_end, its
    metadata saved to her thread). Bob's handshake with her session id is
    refused, and must not cancel that end.
    """
    config = tmp_path / "config.toml"
    config.write_text("[project]\nsession_timeout = 2\n" + CONFIG)
    stack = make_stack(
        TEST_APPS / "cross_user_app.py",
        config_file=config,
        extra_env={"CHAINLIT_AUTH_SECRET": SECRET},
    )
    alice = await _sign_in(stack, "alice")
    bob = await _sign_in(stack, "bob")
    redis = aioredis.Redis.from_url(stack.redis_url)
    names = RedisNames(redis_prefix)
    try:
        ended = {}
        for label, intrude in (("alone", False), ("intruded", True)):
            client = await _open(stack, client_factory, alice)
            reply = await _round_trip(client, f"before leaving {label}", "alice")
            thread_id = reply["threadId"]
            await client.close()
            for _ in range(50):
                if await redis.zscore(names.expiring, client.session_id) is not None:
                    break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("alice's session never started its grace")
            if intrude:
                intruder: ChainlitClient = client_factory(
                    stack.url, auth=chainlit_auth(client.session_id), headers=bob.cookie
                )
                with pytest.raises(socketio.exceptions.ConnectionError):
                    await intruder.connect()
                assert intruder.connect_error == {"message": "authorization failed"}
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                gone = not await redis.exists(names.session(client.session_id))
                if gone:
                    break
                await asyncio.sleep(0.2)
            thread = (await alice.http.get(f"/project/thread/{thread_id}")).json()
            ended[label] = (gone, "client_type" in (thread.get("metadata") or {}))
        assert ended["alone"] == (True, True)
        assert ended["intruded"] == ended["alone"], (
            "bob's refused connect with alice's disconnected session id kept her session "
            f"from ending (no on_chat_end, metadata not saved): {ended}"
        )
    finally:
        await redis.aclose()
        for person in (alice, bob):
            await person.http.aclose()
