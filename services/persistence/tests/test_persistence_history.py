"""Thread history over HTTP: search and pages, rename, share, shared view, delete, elements.

The real app (consumer included) on PostgreSQL and SQLite, called with real service tokens.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import redis.asyncio as aioredis
from fastapi import FastAPI
from persistence_support import (
    auth,
    element_delete,
    element_upsert,
    new_id,
    publish,
    step_upsert,
    thread_upsert,
    wait_for,
)

from switchboard.names import RedisNames
from switchboard.schema import PersistEvent, UserRef
from switchboard_persistence.repository import Repository
from switchboard_persistence.storage import ObjectStorage

ALICE = UserRef(identifier="alice-h", id="u-alice")
BOB = UserRef(identifier="bob-h", id="u-bob")


def _repo(app: FastAPI) -> Repository:
    repo: Repository = app.state.repository
    return repo


def _owner(user: UserRef) -> dict[str, Any]:
    return {"user_id": user.id, "user_identifier": user.identifier}


async def _search(client: httpx.AsyncClient, user: UserRef | None, **body: Any) -> httpx.Response:
    return await client.post("/threads/search", json=body, headers=auth(user))


async def _upload(
    client: httpx.AsyncClient, user: UserRef | None, data: bytes, **params: str
) -> dict[str, Any]:
    params.setdefault("name", "notes.txt")
    params.setdefault("session_id", "sess-1")
    response = await client.post(
        "/files", params=params, content=data, headers={**auth(user), "content-type": "text/plain"}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_search_pages_newest_activity_first(app: FastAPI, client: httpx.AsyncClient) -> None:
    owner = UserRef(identifier=f"pager-{new_id()}")
    base = time.time()
    tids = [new_id() for _ in range(5)]
    events: list[PersistEvent] = [
        thread_upsert(tid, name=f"thread {i}", user_identifier=owner.identifier)
        for i, tid in enumerate(tids)
    ]
    # Activity order differs from creation order: thread 0 is the most recent.
    events += [
        step_upsert(tid, id=new_id(), output="x").model_copy(update={"ts": base + 10 - i})
        for i, tid in enumerate(tids)
    ]
    events.append(thread_upsert(new_id(), name="someone else's", user_identifier="other"))
    await _repo(app).apply(events)

    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        pagination: dict[str, Any] = {"first": 2}
        if cursor:
            pagination["cursor"] = cursor
        page = (await _search(client, owner, pagination=pagination)).json()
        pages += 1
        ids = [t["id"] for t in page["data"]]
        assert page["pageInfo"]["startCursor"] == ids[0]
        assert page["pageInfo"]["endCursor"] == ids[-1]
        seen += ids
        if not page["pageInfo"]["hasNextPage"]:
            break
        cursor = page["pageInfo"]["endCursor"]
    assert pages == 3
    assert seen == tids
    first = (await _search(client, owner, pagination={"first": 1})).json()["data"][0]
    assert first["createdAt"].endswith("Z") and first["steps"] == []
    assert first["userIdentifier"] == owner.identifier


async def test_search_matches_names_and_outputs_and_filters_feedback(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    owner = UserRef(identifier=f"searcher-{new_id()}")
    named, talked, plain, rated = new_id(), new_id(), new_id(), new_id()
    step = new_id()
    await _repo(app).apply(
        [
            thread_upsert(named, name="Budget 100% REVIEW", user_identifier=owner.identifier),
            thread_upsert(talked, name="chat", user_identifier=owner.identifier),
            step_upsert(talked, id=new_id(), output="the budget_review is done"),
            thread_upsert(plain, name="tax", user_identifier=owner.identifier),
            thread_upsert(rated, name="rated", user_identifier=owner.identifier),
            step_upsert(rated, id=step, output="answer"),
        ]
    )

    async def ids(**filter_: Any) -> set[str]:
        response = await _search(client, owner, filter=filter_)
        assert response.status_code == 200
        return {t["id"] for t in response.json()["data"]}

    assert await ids(search="budget") == {named, talked}
    assert await ids(search="100%") == {named}  # % is literal
    assert await ids(search="t_x") == set()  # so is _ (it would match "tax")
    assert await ids(search="_review") == {talked}
    assert await ids() == {named, talked, plain, rated}

    saved = await client.put("/feedback", json={"forId": step, "value": 0}, headers=auth(owner))
    assert saved.status_code == 200
    assert await ids(feedback=0) == {rated}
    assert await ids(feedback=1) == set()
    assert await ids(feedback=0, search="budget") == set()


async def test_search_needs_a_user(client: httpx.AsyncClient) -> None:
    response = await _search(client, None)
    assert (response.status_code, response.json()) == (401, {"detail": "Unauthorized"})


async def test_rename(app: FastAPI, client: httpx.AsyncClient) -> None:
    tid = new_id()
    await _repo(app).apply([thread_upsert(tid, name="old", **_owner(ALICE))])
    response = await client.patch(f"/threads/{tid}", json={"name": "new"}, headers=auth(ALICE))
    assert response.json() == {"success": True}
    assert (await client.get(f"/threads/{tid}", headers=auth(ALICE))).json()["name"] == "new"
    bad = await client.patch(f"/threads/{tid}", json={"name": ""}, headers=auth(ALICE))
    assert bad.status_code == 422


async def test_share_and_the_shared_view(app: FastAPI, client: httpx.AsyncClient) -> None:
    tid = new_id()
    secret_meta = {"chat_profile": "p", "chat_settings": {"k": 1}, "env": {"KEY": "v"}, "x": 1}
    await _repo(app).apply(
        [
            thread_upsert(tid, name="shared", metadata=secret_meta, **_owner(ALICE)),
            step_upsert(tid, id=new_id(), output="hello"),
        ]
    )
    before = (await client.get(f"/shared/{tid}", headers=auth(BOB))).json()
    assert before["isShared"] is False

    shared = await client.put(f"/threads/{tid}/share", json={"isShared": True}, headers=auth(ALICE))
    assert shared.json() == {"success": True}
    metadata = (await client.get(f"/threads/{tid}", headers=auth(ALICE))).json()["metadata"]
    assert metadata["is_shared"] is True and metadata["shared_at"].endswith("Z")
    assert metadata["env"] == {"KEY": "v"}

    for viewer in (BOB, None, ALICE):
        view = await client.get(f"/shared/{tid}", headers=auth(viewer))
        assert view.status_code == 200
        body = view.json()
        assert body["isShared"] is True
        assert set(body["thread"]["metadata"]) == {"x", "is_shared", "shared_at"}
        assert [s["output"] for s in body["thread"]["steps"]] == ["hello"]

    await client.put(f"/threads/{tid}/share", json={"isShared": False}, headers=auth(ALICE))
    metadata = (await client.get(f"/threads/{tid}", headers=auth(ALICE))).json()["metadata"]
    assert metadata["is_shared"] is False and "shared_at" not in metadata
    missing = await client.get(f"/shared/{new_id()}", headers=auth(BOB))
    assert (missing.status_code, missing.json()) == (404, {"detail": "Thread not found"})


async def test_delete_is_soft_and_removes_stored_objects(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    storage: ObjectStorage = app.state.storage
    tid = new_id()
    await _repo(app).apply([thread_upsert(tid, name="doomed", **_owner(ALICE))])
    attached = await _upload(client, ALICE, b"in the thread", thread_id=tid)
    loose = await _upload(client, ALICE, b"element content")
    element = new_id()
    await _repo(app).apply([element_upsert(tid, id=element, chainlitKey=loose["id"])])
    keys = [attached["objectKey"], loose["objectKey"]]
    assert attached["objectKey"] == f"threads/{tid}/files/{attached['id']}"
    assert loose["objectKey"] == f"sessions/sess-1/files/{loose['id']}"
    assert all([await storage.exists(key) for key in keys])

    assert (await client.delete(f"/threads/{tid}", headers=auth(ALICE))).json() == {"success": True}
    assert [await storage.exists(key) for key in keys] == [False, False]
    for path in (f"/threads/{tid}", f"/shared/{tid}", f"/threads/{tid}/elements/{element}"):
        assert (await client.get(path, headers=auth(ALICE))).status_code == 404, path
    for file in (attached, loose):
        assert (await client.get(f"/files/{file['id']}", headers=auth(ALICE))).status_code == 404
    again = await client.delete(f"/threads/{tid}", headers=auth(ALICE))
    assert (again.status_code, again.json()) == (404, {"detail": "Thread not found"})
    renamed = await client.patch(f"/threads/{tid}", json={"name": "x"}, headers=auth(ALICE))
    assert renamed.status_code == 404
    listed = (await _search(client, ALICE, pagination={"first": 100})).json()["data"]
    assert tid not in {t["id"] for t in listed}


async def test_elements_arrive_by_stream_and_point_at_the_file_route(
    app: FastAPI, client: httpx.AsyncClient, redis: aioredis.Redis, redis_prefix: str
) -> None:
    tid, step, element, linked = new_id(), new_id(), new_id(), new_id()
    file = await _upload(client, ALICE, b"chart data")
    await publish(
        redis,
        RedisNames(redis_prefix).persist_stream,
        thread_upsert(tid, name="with elements", **_owner(ALICE)),
        step_upsert(tid, id=step, output="see attached"),
        element_upsert(
            tid,
            id=element,
            forId=step,
            chainlitKey=file["id"],
            name="chart",
            mime=None,
            display="side",
            path="/etc/switchboard/chart.png",  # on the app's disk: never stored
            url="http://127.0.0.1:9/evil",
        ),
        element_upsert(tid, id=linked, forId=step, name="link", url="https://example.com/a.png"),
    )

    async def fetch() -> httpx.Response:
        return await client.get(f"/threads/{tid}", headers=auth(ALICE))

    thread = (
        await wait_for(fetch, lambda r: r.status_code == 200 and len(r.json()["elements"]) == 2)
    ).json()
    by_id = {e["id"]: e for e in thread["elements"]}
    stored = by_id[element]
    assert stored["url"] == f"/project/file/{file['id']}"
    assert stored["path"] is None
    assert (stored["chainlitKey"], stored["forId"], stored["display"]) == (file["id"], step, "side")
    assert stored["mime"] == "text/plain"  # from the uploaded file
    assert by_id[linked]["url"] == "https://example.com/a.png"

    one = await client.get(f"/threads/{tid}/elements/{element}", headers=auth(ALICE))
    assert one.json() == stored
    # The file is now the thread's: deleting the thread would delete it.
    record = await client.get(f"/files/{file['id']}", headers=auth(ALICE))
    assert record.content == b"chart data"


async def test_element_upserts_are_idempotent_and_deletes_remove_the_object(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    storage: ObjectStorage = app.state.storage
    tid, element = new_id(), new_id()
    file = await _upload(client, ALICE, b"v1", thread_id=tid)
    first = element_upsert(tid, id=element, chainlitKey=file["id"], name="v1")
    await _repo(app).apply([thread_upsert(tid, **_owner(ALICE)), first, first])
    await _repo(app).apply([element_upsert(tid, id=element, chainlitKey=file["id"], name="v2")])
    # The same id in another thread is an element of that thread, and goes with it alone.
    other = new_id()
    await _repo(app).apply(
        [element_upsert(other, id=element, chainlitKey=file["id"], name="other")]
    )
    await _repo(app).apply([element_delete(other, element)])
    elements = (await client.get(f"/threads/{tid}", headers=auth(ALICE))).json()["elements"]
    assert [(e["id"], e["name"]) for e in elements] == [(element, "v2")]
    assert await storage.exists(file["objectKey"])

    await _repo(app).apply([element_delete(tid, element)])
    assert (await client.get(f"/threads/{tid}", headers=auth(ALICE))).json()["elements"] == []
    assert not await storage.exists(file["objectKey"])
    assert (await client.get(f"/files/{file['id']}", headers=auth(ALICE))).status_code == 404
    await _repo(app).apply([element_delete(tid, element)])  # redelivery: nothing left to do


async def test_deleting_a_step_deletes_its_elements_files(
    app: FastAPI, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    from persistence_support import step_delete

    storage: ObjectStorage = app.state.storage
    tid, step = new_id(), new_id()
    file = await _upload(client, ALICE, b"gone with the step", thread_id=tid)
    await _repo(app).apply(
        [
            thread_upsert(tid, **_owner(ALICE)),
            step_upsert(tid, id=step, output="x"),
            element_upsert(tid, id=new_id(), forId=step, chainlitKey=file["id"]),
        ]
    )
    await _repo(app).apply([step_delete(tid, step)])
    assert not await storage.exists(file["objectKey"])


async def test_feedback_is_embedded_and_upserted(app: FastAPI, client: httpx.AsyncClient) -> None:
    tid, step = new_id(), new_id()
    await _repo(app).apply(
        [thread_upsert(tid, **_owner(ALICE)), step_upsert(tid, id=step, output="answer")]
    )
    saved = await client.put(
        "/feedback", json={"forId": step, "value": 1, "comment": "good"}, headers=auth(ALICE)
    )
    assert saved.status_code == 200
    body = saved.json()
    fid = body["feedbackId"]
    assert body == {"feedbackId": fid, "forId": step, "threadId": tid}
    assert len(fid) == 36 and fid.count("-") == 4

    def feedback_of(thread: dict[str, Any]) -> Any:
        return thread["steps"][0]["feedback"]

    thread = (await client.get(f"/threads/{tid}", headers=auth(ALICE))).json()
    assert feedback_of(thread) == {"forId": step, "id": fid, "value": 1, "comment": "good"}

    # Without an id the step's feedback is replaced; with it, that one is updated.
    again = await client.put(
        "/feedback", json={"forId": step, "value": 0, "threadId": tid}, headers=auth(ALICE)
    )
    assert again.json()["feedbackId"] == fid
    update = await client.put(
        "/feedback",
        json={"forId": step, "value": 1, "id": fid, "comment": "changed"},
        headers=auth(ALICE),
    )
    assert update.json()["feedbackId"] == fid
    thread = (await client.get(f"/threads/{tid}", headers=auth(ALICE))).json()
    assert feedback_of(thread) == {"forId": step, "id": fid, "value": 1, "comment": "changed"}

    wrong_thread = await client.put(
        "/feedback", json={"forId": step, "value": 1, "threadId": new_id()}, headers=auth(ALICE)
    )
    assert wrong_thread.status_code == 404
    # Ids are minted here: one nobody holds is not adopted, nor one of another step.
    for forged in (
        {"forId": step, "value": 1, "id": new_id()},
        {"forId": new_id(), "value": 1, "id": fid},
    ):
        refused = await client.put("/feedback", json=forged, headers=auth(ALICE))
        assert (refused.status_code, refused.json()) == (404, {"detail": "Feedback not found"})

    gone = await client.delete(f"/feedback/{fid}", headers=auth(ALICE))
    assert gone.json() == {"success": True}
    thread = (await client.get(f"/threads/{tid}", headers=auth(ALICE))).json()
    assert feedback_of(thread) is None
    again_gone = await client.delete(f"/feedback/{fid}", headers=auth(ALICE))
    assert (again_gone.status_code, again_gone.json()) == (404, {"detail": "Feedback not found"})
