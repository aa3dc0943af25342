"""Another user's ids reveal nothing, and events cannot make the service read local files."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI
from persistence_support import (
    auth,
    element_delete,
    element_upsert,
    new_id,
    step_delete,
    step_upsert,
    thread_upsert,
)
from sqlalchemy import select

from switchboard.schema import UserRef
from switchboard_persistence.db.sql import ELEMENTS, FILES
from switchboard_persistence.repository import Repository

ALICE = UserRef(identifier="alice-s", id="u-alice")
BOB = UserRef(identifier="bob-s", id="u-bob")


async def test_another_users_ids_are_404_like_missing_ones(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    repo: Repository = app.state.repository
    tid, step, element = new_id(), new_id(), new_id()
    bob_tid, bob_step = new_id(), new_id()
    stored = await client.post(
        "/files",
        params={"name": "secret.txt", "session_id": "sess-a", "thread_id": tid},
        content=b"alice's secret",
        headers=auth(ALICE),
    )
    file_id = stored.json()["id"]
    await repo.apply(
        [
            thread_upsert(tid, name="alice's", user_identifier=ALICE.identifier),
            step_upsert(tid, id=step, output="private"),
            element_upsert(tid, id=element, forId=step, chainlitKey=file_id),
            thread_upsert(bob_tid, name="bob's", user_identifier=BOB.identifier),
            step_upsert(bob_tid, id=bob_step, output="bob"),
        ]
    )
    feedback = await client.put("/feedback", json={"forId": step, "value": 1}, headers=auth(ALICE))
    feedback_id = feedback.json()["feedbackId"]

    async def both(method: str, path: str, missing_path: str, **kw: Any) -> None:
        """Bob on Alice's id, and Alice on an id that does not exist: the same 404."""
        theirs = await client.request(method, path, headers=auth(BOB), **kw)
        missing = await client.request(method, missing_path, headers=auth(ALICE), **kw)
        assert theirs.status_code == 404, (method, path, theirs.text)
        assert (theirs.status_code, theirs.json()) == (missing.status_code, missing.json()), path

    nope = new_id()
    await both("GET", f"/threads/{tid}", f"/threads/{nope}")
    await both("PATCH", f"/threads/{tid}", f"/threads/{nope}", json={"name": "mine now"})
    await both("PUT", f"/threads/{tid}/share", f"/threads/{nope}/share", json={"isShared": True})
    await both("DELETE", f"/threads/{tid}", f"/threads/{nope}")
    await both("GET", f"/threads/{tid}/elements/{element}", f"/threads/{nope}/elements/{nope}")
    await both("GET", f"/threads/{bob_tid}/elements/{element}", f"/threads/{tid}/elements/{nope}")
    await both("GET", f"/files/{file_id}", f"/files/{nope}")
    await both("DELETE", f"/files/{file_id}", f"/files/{nope}")
    await both("DELETE", f"/feedback/{feedback_id}", f"/feedback/{nope}")

    rate_theirs = await client.put("/feedback", json={"forId": step, "value": 0}, headers=auth(BOB))
    rate_missing = await client.put(
        "/feedback", json={"forId": nope, "value": 0}, headers=auth(BOB)
    )
    assert rate_theirs.status_code == rate_missing.status_code == 404
    assert rate_theirs.json() == rate_missing.json()
    # Bob's own step, but Alice's feedback id: not taken over, and answered as an id
    # nobody holds (which is not adopted either).
    for forged in (feedback_id, nope):
        hijack = await client.put(
            "/feedback", json={"forId": bob_step, "value": 0, "id": forged}, headers=auth(BOB)
        )
        assert (hijack.status_code, hijack.json()) == (404, rate_missing.json())
    # Uploads cannot overwrite Alice's file nor go into her thread.
    overwrite = await client.post(
        "/files",
        params={"name": "x", "session_id": "sess-b", "file_id": file_id},
        content=b"bob was here",
        headers=auth(BOB),
    )
    assert (overwrite.status_code, overwrite.json()) == (404, {"detail": "File not found"})
    into = await client.post(
        "/files",
        params={"name": "x", "session_id": "sess-b", "thread_id": tid},
        content=b"bob was here",
        headers=auth(BOB),
    )
    assert (into.status_code, into.json()) == (404, {"detail": "Thread not found"})
    listed = await client.post("/threads/search", json={}, headers=auth(BOB))
    assert {t["id"] for t in listed.json()["data"]} == {bob_tid}

    # Nothing of Alice's changed.
    thread = (await client.get(f"/threads/{tid}", headers=auth(ALICE))).json()
    assert thread["name"] == "alice's" and "is_shared" not in thread["metadata"]
    assert thread["steps"][0]["feedback"]["value"] == 1
    assert [e["id"] for e in thread["elements"]] == [element]
    content = await client.get(f"/files/{file_id}", headers=auth(ALICE))
    assert content.content == b"alice's secret"


async def test_ids_of_another_users_steps_and_elements_are_his_own_in_his_thread(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """Bob reuses Alice's step and element ids in his thread: he gets rows of his own.

    Writing them is never dropped (which would tell him the ids exist elsewhere),
    and nothing he does with them reaches Alice's rows, her feedback or her file.
    """
    repo: Repository = app.state.repository
    tid, bob_tid, step, element = new_id(), new_id(), new_id(), new_id()
    stored = await client.post(
        "/files",
        params={"name": "secret.txt", "session_id": "sess-a", "thread_id": tid},
        content=b"alice's secret",
        headers=auth(ALICE),
    )
    file_id = stored.json()["id"]
    await repo.apply(
        [
            thread_upsert(tid, name="alice's", user_identifier=ALICE.identifier),
            step_upsert(tid, id=step, output="alice's step"),
            element_upsert(tid, id=element, forId=step, chainlitKey=file_id, name="alice's"),
        ]
    )
    rated = await client.put("/feedback", json={"forId": step, "value": 1}, headers=auth(ALICE))
    feedback_id = rated.json()["feedbackId"]
    await repo.apply(
        [
            thread_upsert(bob_tid, name="bob's", user_identifier=BOB.identifier),
            step_upsert(bob_tid, id=step, output="bob's step"),
            element_upsert(bob_tid, id=element, forId=step, chainlitKey=file_id, name="bob's"),
        ]
    )

    mine = (await client.get(f"/threads/{bob_tid}", headers=auth(BOB))).json()
    assert [(s["id"], s["output"], s["feedback"]) for s in mine["steps"]] == [
        (step, "bob's step", None)
    ]
    assert [(e["id"], e["name"], e["objectKey"]) for e in mine["elements"]] == [
        (element, "bob's", None)
    ]
    one = await client.get(f"/threads/{bob_tid}/elements/{element}", headers=auth(BOB))
    assert one.json()["name"] == "bob's"
    theirs = await client.get(f"/threads/{tid}/elements/{element}", headers=auth(BOB))
    assert theirs.status_code == 404
    # His element names her file, which is not his thread's: not served through his share.
    shown = await client.get(f"/shared/{bob_tid}/files/{file_id}", headers=auth(BOB))
    assert (shown.status_code, shown.json()) == (404, {"detail": "File not found"})

    saved = await client.put("/feedback", json={"forId": step, "value": 0}, headers=auth(BOB))
    assert saved.status_code == 200
    assert saved.json()["threadId"] == bob_tid and saved.json()["feedbackId"] != feedback_id
    await repo.apply([step_delete(bob_tid, step), element_delete(bob_tid, element)])

    thread = (await client.get(f"/threads/{tid}", headers=auth(ALICE))).json()
    assert [
        (s["output"], s["feedback"]["id"], s["feedback"]["value"]) for s in thread["steps"]
    ] == [("alice's step", feedback_id, 1)]
    assert [(e["name"], e["chainlitKey"]) for e in thread["elements"]] == [("alice's", file_id)]
    content = await client.get(f"/files/{file_id}", headers=auth(ALICE))
    assert content.content == b"alice's secret"
    mine = (await client.get(f"/threads/{bob_tid}", headers=auth(BOB))).json()
    assert (mine["steps"], mine["elements"]) == ([], [])


async def test_an_element_event_cannot_point_at_local_files(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    repo: Repository = app.state.repository
    tid, element, traversal = new_id(), new_id(), new_id()
    await repo.apply(
        [
            thread_upsert(tid, user_identifier=ALICE.identifier),
            element_upsert(
                tid, id=element, name="passwd", path="/etc/passwd", url="file:///etc/passwd"
            ),
            element_upsert(tid, id=traversal, name="up", chainlitKey="../../../etc/passwd"),
        ]
    )
    async with repo.engine.connect() as conn:
        rows = (await conn.execute(select(ELEMENTS).where(ELEMENTS.c.thread_id == tid))).all()
        files = (await conn.execute(select(FILES).where(FILES.c.thread_id == tid))).all()
    assert {(r.path, r.url, r.object_key) for r in rows} == {(None, None, None)}
    assert files == []

    got = (await client.get(f"/threads/{tid}/elements/{element}", headers=auth(ALICE))).json()
    assert (got["path"], got["url"], got["objectKey"]) == (None, None, None)
    up = (await client.get(f"/threads/{tid}/elements/{traversal}", headers=auth(ALICE))).json()
    assert up["url"] == "/project/file/..%2F..%2F..%2Fetc%2Fpasswd"
    # And the file route reads nothing for such a key.
    read = await client.get("/files/..%2F..%2F..%2Fetc%2Fpasswd", headers=auth(ALICE))
    assert read.status_code == 404
    assert b"root:" not in read.content
