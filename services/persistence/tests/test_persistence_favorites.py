"""Favourite messages over HTTP: a user stars and unstars messages of their own threads
(the flag in the step's metadata) and lists their favourites; another user's messages,
tool steps, deleted threads and anonymous callers get nothing.

The real app on PostgreSQL and SQLite, called with real service tokens.
"""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI
from persistence_support import auth, new_id, step_upsert, thread_upsert

from switchboard.schema import UserRef
from switchboard_persistence.repository import Repository

ALICE = UserRef(identifier="alice-f", id="u-alice-f")
BOB = UserRef(identifier="bob-f", id="u-bob-f")


def _repo(app: FastAPI) -> Repository:
    repo: Repository = app.state.repository
    return repo


async def _star(
    client: httpx.AsyncClient, user: UserRef | None, thread: str, step: str, on: bool = True
) -> httpx.Response:
    return await client.put(
        f"/threads/{thread}/steps/{step}/favorite", json={"favorite": on}, headers=auth(user)
    )


async def _listed(client: httpx.AsyncClient, user: UserRef) -> list[dict[str, Any]]:
    response = await client.get("/favorites", headers=auth(user))
    assert response.status_code == 200, response.text
    body: list[dict[str, Any]] = response.json()
    return body


async def test_star_list_and_unstar_own_messages_only(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    tid, older, newer, tool = new_id(), new_id(), new_id(), new_id()
    await _repo(app).apply(
        [
            thread_upsert(tid, user_id=ALICE.id, user_identifier=ALICE.identifier),
            step_upsert(
                tid,
                id=older,
                type="user_message",
                output="first question",
                createdAt="2026-01-01T10:00:00.000Z",
                metadata={"kept": 1},
            ),
            step_upsert(
                tid,
                id=newer,
                type="user_message",
                output="second question",
                createdAt="2026-01-02T10:00:00.000Z",
            ),
            step_upsert(tid, id=tool, type="tool", output="tool output"),
        ]
    )
    assert await _listed(client, ALICE) == []

    saved = await _star(client, ALICE, tid, older)
    assert saved.status_code == 200, saved.text
    assert saved.json()["metadata"] == {"kept": 1, "favorite": True}
    assert (await _star(client, ALICE, tid, newer)).status_code == 200
    listed = await _listed(client, ALICE)
    assert [(s["id"], s["output"]) for s in listed] == [
        (newer, "second question"),
        (older, "first question"),
    ]
    # The thread as read back carries the flag too.
    thread = (await client.get(f"/threads/{tid}", headers=auth(ALICE))).json()
    flags = {s["id"]: s["metadata"].get("favorite") for s in thread["steps"]}
    assert flags == {older: True, newer: True, tool: None}

    # Not a message, not theirs, not a thread, not signed in: 404 like a missing id.
    for user, thread_id, step_id in (
        (ALICE, tid, tool),
        (BOB, tid, older),
        (ALICE, new_id(), older),
        (ALICE, tid, new_id()),
        (None, tid, older),
    ):
        refused = await _star(client, user, thread_id, step_id)
        assert refused.status_code == 404, (user, refused.text)
    assert await _listed(client, BOB) == []
    assert (await client.get("/favorites", headers=auth(None))).status_code == 401

    unstarred = await _star(client, ALICE, tid, older, on=False)
    assert unstarred.json()["metadata"] == {"kept": 1, "favorite": False}
    assert [s["id"] for s in await _listed(client, ALICE)] == [newer]

    # A deleted thread's messages are no one's favourites.
    assert (await client.delete(f"/threads/{tid}", headers=auth(ALICE))).status_code == 200
    assert await _listed(client, ALICE) == []
    assert (await _star(client, ALICE, tid, newer)).status_code == 404
