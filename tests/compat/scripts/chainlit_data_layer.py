"""Drive Chainlit 2.12's own SQLAlchemyDataLayer; run only in the reference virtualenv.

``write DSN``: stores a fixed conversation set for two users (threads, nested steps, an
element through a storage client, feedback) and prints what it wrote as JSON.
``read DSN THREAD_ID IDENTIFIER``: prints Chainlit's own view of a thread (``get_thread``,
``get_thread_author``, and whether ``list_threads`` for that user lists it).
"""

import asyncio
import json
import sys
import uuid
from datetime import UTC, datetime, timedelta

from chainlit.context import init_http_context
from chainlit.data.sql_alchemy import SQLAlchemyDataLayer
from chainlit.data.storage_clients.base import BaseStorageClient
from chainlit.element import Text
from chainlit.types import Feedback, Pagination, ThreadFilter
from chainlit.user import User


class RecordingStorage(BaseStorageClient):
    """Keeps nothing: hands back an https URL per key, as a bucket's client would."""

    async def upload_file(
        self,
        object_key,
        data,
        mime="application/octet-stream",
        overwrite=True,
        content_disposition=None,
    ):
        return {"object_key": object_key, "url": f"https://files.example.test/{object_key}"}

    async def delete_file(self, object_key):
        return True

    async def get_read_url(self, object_key):
        return f"https://files.example.test/{object_key}"

    async def close(self):
        pass


def layer(dsn: str) -> SQLAlchemyDataLayer:
    return SQLAlchemyDataLayer(conninfo=dsn, storage_provider=RecordingStorage())


def stamp(base: datetime, seconds: int) -> str:
    return (base + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


async def conversation(dl, user, name: str, words: str, base: datetime) -> dict:
    thread_id = str(uuid.uuid4())
    await dl.update_thread(thread_id, name=name, user_id=user.id, metadata={"chat_profile": "p"})
    question, answer, tool = (str(uuid.uuid4()) for _ in range(3))
    common = {"threadId": thread_id, "streaming": False, "metadata": {}}
    await dl.create_step(
        {
            **common,
            "id": question,
            "name": user.identifier,
            "type": "user_message",
            "output": f"question about {words}",
            "createdAt": stamp(base, 0),
            "start": stamp(base, 0),
            "end": stamp(base, 0),
        }
    )
    await dl.create_step(
        {
            **common,
            "id": tool,
            "name": "lookup",
            "type": "tool",
            "parentId": question,
            "input": words,
            "output": f"found {words}",
            "createdAt": stamp(base, 1),
            "start": stamp(base, 1),
            "end": stamp(base, 1),
            "showInput": "json",
        }
    )
    await dl.create_step(
        {
            **common,
            "id": answer,
            "name": "Assistant",
            "type": "assistant_message",
            "output": f"the answer about {words}",
            "createdAt": stamp(base, 2),
            "start": stamp(base, 2),
            "end": stamp(base, 2),
        }
    )
    element = Text(name="notes.txt", content=f"notes on {words}", display="side")
    element.thread_id, element.for_id, element.mime = thread_id, answer, "text/plain"
    await dl.create_element(element)
    feedback_id = await dl.upsert_feedback(
        Feedback(forId=answer, value=1, threadId=thread_id, comment="helpful")
    )
    return {
        "thread": thread_id,
        "question": question,
        "tool": tool,
        "answer": answer,
        "element": element.id,
        "feedback": feedback_id,
        "name": name,
    }


async def write(dsn: str) -> None:
    init_http_context()  # an HTTP context: the data layer writes at once, queues nothing
    dl = layer(dsn)
    alice = await dl.create_user(User(identifier="alice"))
    bob = await dl.create_user(User(identifier="bob"))
    base = datetime.now(UTC) - timedelta(hours=1)
    out = {
        "alice_id": alice.id,
        "alice": [
            await conversation(dl, alice, "Planets", "saturn", base),
            await conversation(dl, alice, "Rivers", "danube", base + timedelta(minutes=5)),
        ],
        "bob": [await conversation(dl, bob, "Bob's secret", "vault", base)],
    }
    print(json.dumps(out))


async def read(dsn: str, thread_id: str, identifier: str) -> None:
    init_http_context()
    dl = layer(dsn)
    user = await dl.get_user(identifier)
    thread = await dl.get_thread(thread_id)
    page = await dl.list_threads(Pagination(first=20), ThreadFilter(userId=user.id))
    print(
        json.dumps(
            {
                "author": await dl.get_thread_author(thread_id),
                "thread": thread,
                "listed": [t["id"] for t in page.data],
            },
            default=str,
        )
    )


if __name__ == "__main__":
    if sys.argv[1] == "write":
        asyncio.run(write(sys.argv[2]))
    else:
        asyncio.run(read(sys.argv[2], sys.argv[3], sys.argv[4]))
