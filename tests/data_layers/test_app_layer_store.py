"""``AppDataLayerStore`` around an app's data layer, in process: which call each event
becomes, what counts as an outage, owners, and ids the browser must see as uuids.

The data layer here is app code written for the test (an in-memory ``BaseDataLayer``
whose feedback ids and cursors are not uuids, as DynamoDB's are not).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from switchboard.data import BaseDataLayer
from switchboard.data.utils import current_thread_id
from switchboard.schema import StepDelete, StepUpsert, ThreadUpsert
from switchboard.schema.history import FeedbackIn, ThreadListRequest
from switchboard.schema.persist import StepDeletePayload, ThreadUpsertPayload
from switchboard.schema.steps import StepDict
from switchboard.sdk.pagination import PageInfo, PaginatedResponse, Pagination, ThreadFilter
from switchboard.sdk.types import Feedback
from switchboard.sdk.user import PersistedUser, User
from switchboard_persistence.consumer import is_outage
from switchboard_persistence.stores.app_layer import AppDataLayerStore, DataLayerUnavailable
from switchboard_persistence.stores.app_layer_batches import GroupCommit


class MemoryLayer(BaseDataLayer):
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.users: dict[str, PersistedUser] = {}
        self.threads: dict[str, dict[str, Any]] = {}
        self.steps: dict[str, dict[str, Any]] = {}
        self.fail: BaseException | None = None

    def _call(self, name: str, arg: Any) -> None:
        self.calls.append((name, arg))
        if self.fail is not None:
            raise self.fail

    async def get_user(self, identifier: str) -> PersistedUser | None:
        self._call("get_user", identifier)
        return self.users.get(identifier)

    async def create_user(self, user: User) -> PersistedUser | None:
        self._call("create_user", user.identifier)
        self.users[user.identifier] = PersistedUser(
            identifier=user.identifier, id=f"U{len(self.users)}"
        )
        return self.users[user.identifier]

    async def delete_feedback(self, feedback_id: str) -> bool:
        self._call("delete_feedback", feedback_id)
        for step in self.steps.values():
            if (step.get("feedback") or {}).get("id") == feedback_id:
                step.pop("feedback")
        return True

    async def upsert_feedback(self, feedback: Feedback) -> str:
        self._call("upsert_feedback", feedback.forId)
        feedback_id = f"THREAD#{feedback.threadId}::STEP#{feedback.forId}"
        self.steps[feedback.forId]["feedback"] = {
            "id": feedback_id, "forId": feedback.forId, "value": feedback.value, "comment": None
        }  # fmt: skip
        return feedback_id

    async def create_element(self, element: Any) -> None:
        self._call("create_element", element.id)

    async def get_element(self, thread_id: str, element_id: str) -> Any:
        self._call("get_element", thread_id)
        return None

    async def delete_element(self, element_id: str, thread_id: str | None = None) -> None:
        self._call("delete_element", element_id)

    async def create_step(self, step_dict: Any) -> None:
        self._call("create_step", step_dict["id"])
        self.steps[step_dict["id"]] = dict(step_dict)

    async def update_step(self, step_dict: Any) -> None:
        self._call("update_step", step_dict["id"])
        self.steps[step_dict["id"]].update(step_dict)

    async def delete_step(self, step_id: str) -> None:
        self._call("delete_step", (step_id, current_thread_id()))
        self.steps.pop(step_id, None)

    async def get_thread_author(self, thread_id: str) -> str:
        self._call("get_thread_author", thread_id)
        thread = self.threads.get(thread_id)
        if not thread or not thread.get("userIdentifier"):
            raise ValueError(f"Author not found for thread_id {thread_id}")
        return str(thread["userIdentifier"])

    async def delete_thread(self, thread_id: str) -> None:
        self._call("delete_thread", thread_id)
        self.threads.pop(thread_id, None)

    async def list_threads(self, pagination: Pagination, filters: ThreadFilter) -> Any:
        self._call("list_threads", (filters.userId, pagination.cursor))
        mine = [t for t in self.threads.values() if t.get("userId") == filters.userId]
        start = json.loads(pagination.cursor)["after"] if pagination.cursor else 0
        page = mine[start : start + pagination.first]
        end = start + len(page)
        more = end < len(mine)
        cursor = json.dumps({"after": end}) if more else None
        return PaginatedResponse(
            pageInfo=PageInfo(hasNextPage=more, startCursor=None, endCursor=cursor), data=page
        )

    async def get_thread(self, thread_id: str) -> Any:
        self._call("get_thread", thread_id)
        thread = self.threads.get(thread_id)
        if thread is None:
            return None
        steps = [s for s in self.steps.values() if s["threadId"] == thread_id]
        return {**thread, "steps": steps, "elements": []}

    async def update_thread(
        self,
        thread_id: str,
        name: str | None = None,
        user_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        tags: list[str] | None = None,
    ) -> None:
        self._call("update_thread", (thread_id, name, user_id))
        thread = self.threads.setdefault(
            thread_id, {"id": thread_id, "createdAt": "2026-01-01T00:00:00Z", "metadata": {}}
        )
        if name is not None:
            thread["name"] = name
        if user_id is not None:
            identifier = next(u.identifier for u in self.users.values() if u.id == user_id)
            thread.update(userId=user_id, userIdentifier=identifier)
        if metadata:
            thread["metadata"].update(metadata)

    async def build_debug_url(self) -> str:
        return ""

    async def close(self) -> None:
        pass

    async def get_favorite_steps(self, user_id: str) -> list[Any]:
        return []


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[AppDataLayerStore]:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'files.db'}")
    yield AppDataLayerStore(MemoryLayer(), engine)
    await engine.dispose()


def _layer(store: AppDataLayerStore) -> MemoryLayer:
    assert isinstance(store.layer, MemoryLayer)
    return store.layer


def _thread(thread_id: str, who: str, name: str = "chat") -> ThreadUpsert:
    payload = ThreadUpsertPayload(name=name, user_identifier=who)
    return ThreadUpsert(session_id=str(uuid.uuid4()), thread_id=thread_id, payload=payload)


def _step(thread_id: str, step_id: str, output: str) -> StepUpsert:
    payload = StepDict(
        id=step_id,
        threadId=thread_id,
        name="assistant",
        type="assistant_message",
        output=output,
        createdAt="2026-01-01T00:00:01Z",
    )
    return StepUpsert(session_id=str(uuid.uuid4()), thread_id=thread_id, payload=payload)


async def test_events_become_calls_in_order(store: AppDataLayerStore) -> None:
    layer = _layer(store)
    thread_id = str(uuid.uuid4())
    await store.apply(
        [
            _thread(thread_id, "alice"),
            _step(thread_id, "s1", "he"),
            _step(thread_id, "s1", "hello"),
            StepDelete(
                session_id=str(uuid.uuid4()),
                thread_id=thread_id,
                payload=StepDeletePayload(id="s1"),
            ),
        ]
    )
    writes = [c for c in layer.calls if c[0] not in ("get_user", "get_thread_author")]
    # The two upserts in a row of s1 are one call, with the later output.
    assert writes == [
        ("create_user", "alice"),
        ("update_thread", (thread_id, "chat", "U0")),
        ("create_step", "s1"),
        ("delete_step", ("s1", thread_id)),
    ]
    layer.calls.clear()
    await store.apply([_step(thread_id, "s2", "a")])
    await store.apply([_step(thread_id, "s2", "ab"), _step(thread_id, "s3", "b")])
    assert layer.calls == [("create_step", "s2"), ("update_step", "s2"), ("create_step", "s3")]
    assert layer.steps["s2"]["output"] == "ab"
    # Another user's name on the thread: nothing is written to it.
    layer.calls.clear()
    await store.apply([_thread(thread_id, "mallory", name="mine now")])
    assert [c[0] for c in layer.calls] == ["get_thread_author"]
    assert layer.threads[thread_id]["name"] == "chat"


async def test_failures_are_outages_unless_they_are_about_the_data(
    store: AppDataLayerStore,
) -> None:
    layer = _layer(store)
    thread_id = str(uuid.uuid4())
    layer.fail = RuntimeError("connection pool exhausted")
    with pytest.raises(DataLayerUnavailable) as outage:
        await store.apply([_step(thread_id, "s1", "x")])
    assert is_outage(outage.value)
    layer.fail = ValueError("bad step")
    with pytest.raises(ValueError, match="bad step") as bad:
        await store.apply([_step(thread_id, "s1", "x")])
    assert not is_outage(bad.value)
    layer.fail = None
    await store.apply([_step(thread_id, "s1", "x")])
    assert layer.steps["s1"]["output"] == "x"


async def test_feedback_ids_and_cursors_the_browser_sees_are_uuids(
    store: AppDataLayerStore, tmp_path: Path
) -> None:
    layer = _layer(store)
    threads = [str(uuid.uuid4()) for _ in range(3)]
    for n, thread_id in enumerate(threads):
        await store.apply([_thread(thread_id, "alice"), _step(thread_id, f"s{n}", "hi")])
    await store.apply([_thread(str(uuid.uuid4()), "bob")])

    saved = await store.upsert_feedback("alice", FeedbackIn(forId="s0", value=1))
    assert saved is not None and saved.threadId == threads[0]
    assert uuid.UUID(saved.feedbackId)
    shown = await store.get_thread(threads[0])
    assert shown is not None and shown.steps[0].feedback is not None
    assert shown.steps[0].feedback.id == saved.feedbackId
    assert not await store.delete_feedback("bob", saved.feedbackId)
    assert await store.delete_feedback("alice", saved.feedbackId)
    assert ("delete_feedback", f"THREAD#{threads[0]}::STEP#s0") in layer.calls

    first = await store.list_threads(
        "alice", ThreadListRequest.model_validate({"pagination": {"first": 2}})
    )
    assert [t.id for t in first.data] == threads[:2] and first.pageInfo.hasNextPage
    assert first.pageInfo.endCursor == threads[1]
    # Another replica (no cursor handed out there) pages on from the same cursor.
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'other.db'}")
    other = AppDataLayerStore(layer, engine)
    request = {"pagination": {"first": 2, "cursor": first.pageInfo.endCursor}}
    rest = await other.list_threads("alice", ThreadListRequest.model_validate(request))
    assert [t.id for t in rest.data] == threads[2:] and not rest.pageInfo.hasNextPage
    assert all(t.steps == [] for t in [*first.data, *rest.data])
    await engine.dispose()
    assert (await store.list_threads("carol", ThreadListRequest())).data == []


async def test_only_a_write_that_gives_every_field_again_replaces_the_one_before(
    store: AppDataLayerStore,
) -> None:
    layer = _layer(store)
    thread_id = str(uuid.uuid4())
    first = _step(thread_id, "s1", "he")
    fewer = StepUpsert(
        session_id=first.session_id,
        thread_id=thread_id,
        payload=StepDict(id="s1", output="hello", createdAt="2026-01-01T00:00:01Z"),
    )
    moved = _step(thread_id, "s1", "hello!")
    moved.payload.createdAt = "2026-01-01T00:00:09Z"
    again = _step(thread_id, "s1", "hello!!")
    again.payload.createdAt = moved.payload.createdAt
    await store.apply([first, fewer, moved, again])
    # ``fewer`` lacks fields ``first`` gave and ``moved`` has another createdAt: both
    # keep the write before them; the last one repeats every field of ``moved``.
    assert layer.calls == [
        ("create_step", "s1"),
        ("update_step", "s1"),
        ("update_step", "s1"),
    ]
    assert layer.steps["s1"]["output"] == "hello!!"


async def test_group_commit_writes_what_lanes_hand_in_together_and_fails_them_together() -> None:
    flushed: list[list[int]] = []
    fail = False

    async def flush(items: list[int]) -> None:
        await asyncio.sleep(0)
        flushed.append(items)
        if fail:
            raise RuntimeError("database away")

    commit: GroupCommit[int] = GroupCommit(flush)
    await asyncio.gather(*(commit.write([n, n + 10]) for n in range(4)))
    assert flushed == [[0, 10, 1, 11, 2, 12, 3, 13]]

    async def lane(n: int) -> None:
        await commit.write([n])
        await commit.write([n + 100])  # never written before the lane's first run

    flushed.clear()
    await asyncio.gather(lane(1), lane(2))
    assert flushed == [[1, 2], [101, 102]]

    fail = True
    results = await asyncio.gather(commit.write([7]), commit.write([8]), return_exceptions=True)
    assert [str(r) for r in results] == ["database away", "database away"]
    await commit.close()
