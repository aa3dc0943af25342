"""Test app with its own ``@cl.data_layer``: a SQLite-backed BaseDataLayer that records calls.

The persistence service (``SWITCHBOARD_PERSISTENCE_SCHEMA=app``) imports this module and
sends every conversation read and write to ``RecordingDataLayer``. Each call is appended
to the ``calls`` table of ``RECORDING_DB``, so the test reads what was asked, in order.
While the file ``RECORDING_DOWN`` exists, every call raises as a database that is down.
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import switchboard as cl
from switchboard.data import BaseDataLayer
from switchboard.sdk.pagination import PageInfo, PaginatedResponse

SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (seq INTEGER PRIMARY KEY AUTOINCREMENT, method TEXT,
    thread_id TEXT, detail TEXT);
CREATE TABLE IF NOT EXISTS users (identifier TEXT PRIMARY KEY, id TEXT, created TEXT);
CREATE TABLE IF NOT EXISTS threads (id TEXT PRIMARY KEY, body TEXT);
CREATE TABLE IF NOT EXISTS steps (id TEXT PRIMARY KEY, thread_id TEXT, body TEXT);
CREATE TABLE IF NOT EXISTS elements (id TEXT PRIMARY KEY, thread_id TEXT, body TEXT);
CREATE TABLE IF NOT EXISTS feedbacks (id TEXT PRIMARY KEY, step_id TEXT, body TEXT);
"""


class RecordingDataLayer(BaseDataLayer):
    def __init__(self, path: str, down: str) -> None:
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.executescript(SCHEMA)
        self.down = Path(down)

    def _record(self, method: str, thread_id: str | None, **detail: Any) -> None:
        if self.down.exists():
            raise ConnectionError("the recording database is down")
        self.db.execute(
            "INSERT INTO calls (method, thread_id, detail) VALUES (?, ?, ?)",
            (method, thread_id, json.dumps(detail, default=str)),
        )

    def _one(self, sql: str, *args: Any) -> Any:
        row = self.db.execute(sql, args).fetchone()
        return row[0] if row else None

    async def get_user(self, identifier: str) -> cl.PersistedUser | None:
        self._record("get_user", None, identifier=identifier)
        row = self.db.execute(
            "SELECT id, created FROM users WHERE identifier = ?", (identifier,)
        ).fetchone()
        if row is None:
            return None
        return cl.PersistedUser(identifier=identifier, id=row[0], createdAt=row[1])

    async def create_user(self, user: cl.User) -> cl.PersistedUser | None:
        self._record("create_user", None, identifier=user.identifier)
        self.db.execute(
            "INSERT OR IGNORE INTO users VALUES (?, ?, ?)",
            (user.identifier, f"u-{user.identifier}", "2026-01-01T00:00:00Z"),
        )
        return await self.get_user(user.identifier)

    async def delete_feedback(self, feedback_id: str) -> bool:
        self._record("delete_feedback", None, id=feedback_id)
        self.db.execute("DELETE FROM feedbacks WHERE id = ?", (feedback_id,))
        return True

    async def upsert_feedback(self, feedback: cl.Feedback) -> str:
        self._record("upsert_feedback", feedback.threadId, forId=feedback.forId)
        feedback.id = feedback.id or str(uuid.uuid4())
        body = {"id": feedback.id, "forId": feedback.forId, "value": feedback.value,
                "comment": feedback.comment}  # fmt: skip
        self.db.execute(
            "INSERT OR REPLACE INTO feedbacks VALUES (?, ?, ?)",
            (feedback.id, feedback.forId, json.dumps(body)),
        )
        return feedback.id

    async def create_element(self, element: Any) -> None:
        content = element.content
        size = len(content) if content is not None else None
        self._record("create_element", element.thread_id, id=element.id, size=size)
        body = element.to_dict()
        self.db.execute(
            "INSERT OR REPLACE INTO elements VALUES (?, ?, ?)",
            (element.id, element.thread_id, json.dumps(body)),
        )

    async def get_element(self, thread_id: str, element_id: str) -> Any:
        self._record("get_element", thread_id, id=element_id)
        body = self._one(
            "SELECT body FROM elements WHERE id = ? AND thread_id = ?", element_id, thread_id
        )
        return json.loads(body) if body else None

    async def delete_element(self, element_id: str, thread_id: str | None = None) -> None:
        self._record("delete_element", thread_id, id=element_id)
        self.db.execute("DELETE FROM elements WHERE id = ?", (element_id,))

    async def create_step(self, step_dict: Any) -> None:
        self._record("create_step", step_dict["threadId"], id=step_dict["id"],
                     type=step_dict.get("type"), output=step_dict.get("output"))  # fmt: skip
        self.db.execute(
            "INSERT OR REPLACE INTO steps VALUES (?, ?, ?)",
            (step_dict["id"], step_dict["threadId"], json.dumps(step_dict)),
        )

    async def update_step(self, step_dict: Any) -> None:
        self._record("update_step", step_dict["threadId"], id=step_dict["id"],
                     type=step_dict.get("type"), output=step_dict.get("output"))  # fmt: skip
        old = self._one("SELECT body FROM steps WHERE id = ?", step_dict["id"])
        merged = {**(json.loads(old) if old else {}), **step_dict}
        self.db.execute(
            "INSERT OR REPLACE INTO steps VALUES (?, ?, ?)",
            (step_dict["id"], step_dict["threadId"], json.dumps(merged)),
        )

    async def delete_step(self, step_id: str) -> None:
        self._record("delete_step", None, id=step_id)
        self.db.execute("DELETE FROM steps WHERE id = ?", (step_id,))

    async def get_thread_author(self, thread_id: str) -> str:
        self._record("get_thread_author", thread_id)
        body = self._one("SELECT body FROM threads WHERE id = ?", thread_id)
        author = json.loads(body).get("userIdentifier") if body else None
        if not author:
            raise ValueError(f"Author not found for thread_id {thread_id}")
        return str(author)

    async def delete_thread(self, thread_id: str) -> None:
        self._record("delete_thread", thread_id)
        for table in ("steps", "elements"):
            self.db.execute(f"DELETE FROM {table} WHERE thread_id = ?", (thread_id,))
        self.db.execute("DELETE FROM threads WHERE id = ?", (thread_id,))

    def _thread(self, thread_id: str) -> dict[str, Any] | None:
        body = self._one("SELECT body FROM threads WHERE id = ?", thread_id)
        if body is None:
            return None
        thread: dict[str, Any] = json.loads(body)
        steps = []
        for (step_body,) in self.db.execute(
            "SELECT body FROM steps WHERE thread_id = ?", (thread_id,)
        ):
            step = json.loads(step_body)
            fb = self._one("SELECT body FROM feedbacks WHERE step_id = ?", step["id"])
            step["feedback"] = json.loads(fb) if fb else None
            steps.append(step)
        steps.sort(key=lambda s: s.get("createdAt") or "")
        elements = [
            json.loads(b)
            for (b,) in self.db.execute(
                "SELECT body FROM elements WHERE thread_id = ?", (thread_id,)
            )
        ]
        return {**thread, "steps": steps, "elements": elements}

    async def list_threads(self, pagination: Any, filters: Any) -> PaginatedResponse[Any]:
        self._record("list_threads", None, userId=filters.userId, cursor=pagination.cursor)
        ids = [row[0] for row in self.db.execute("SELECT id FROM threads ORDER BY rowid DESC")]
        threads = [t for t in map(self._thread, ids) if t and t.get("userId") == filters.userId]
        if filters.search:
            threads = [t for t in threads if filters.search.lower() in json.dumps(t).lower()]
        start = [t["id"] for t in threads].index(pagination.cursor) + 1 if pagination.cursor else 0
        page = threads[start : start + pagination.first]
        more = len(threads) > start + pagination.first
        end = page[-1]["id"] if page else None
        return PaginatedResponse(
            pageInfo=PageInfo(hasNextPage=more, startCursor=pagination.cursor, endCursor=end),
            data=page,
        )

    async def get_thread(self, thread_id: str) -> Any:
        self._record("get_thread", thread_id)
        return self._thread(thread_id)

    async def update_thread(
        self,
        thread_id: str,
        name: str | None = None,
        user_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        tags: list[str] | None = None,
    ) -> None:
        self._record("update_thread", thread_id, name=name, user_id=user_id, metadata=metadata)
        old = self._one("SELECT body FROM threads WHERE id = ?", thread_id)
        thread = json.loads(old) if old else {
            "id": thread_id, "createdAt": "2026-01-01T00:00:00Z", "metadata": {}
        }  # fmt: skip
        if name is not None:
            thread["name"] = name
        if user_id is not None:
            thread["userId"] = user_id
            thread["userIdentifier"] = self._one(
                "SELECT identifier FROM users WHERE id = ?", user_id
            )
        if metadata is not None:
            merged = {**thread.get("metadata", {}), **metadata}
            thread["metadata"] = {k: v for k, v in merged.items() if v is not None}
        if tags is not None:
            thread["tags"] = tags
        self.db.execute(
            "INSERT OR REPLACE INTO threads VALUES (?, ?)", (thread_id, json.dumps(thread))
        )

    async def build_debug_url(self) -> str:
        return ""

    async def close(self) -> None:
        self.db.close()

    async def get_favorite_steps(self, user_id: str) -> list[Any]:
        return []


@cl.data_layer
def recording_layer() -> BaseDataLayer:
    return RecordingDataLayer(os.environ["RECORDING_DB"], os.environ["RECORDING_DOWN"])


@cl.header_auth_callback
async def header(headers: dict[str, str]) -> cl.User | None:
    user = headers.get("x-test-user")
    return cl.User(identifier=user) if user else None


@cl.on_message
async def reply(message: cl.Message) -> None:
    if message.content == "file":
        note = cl.Text(name="note", content="a small note", display="side")
        await cl.Message(content="here is a note", elements=[note]).send()
        return
    await cl.Message(content=f"echo: {message.content}").send()
