"""Chainlit 2.12's own SQLAlchemyDataLayer, run only in the reference virtualenv.

``write DSN``: one user, a thread, two steps and a feedback; prints their ids as JSON.
``read DSN THREAD_ID IDENTIFIER``: prints Chainlit's view of the thread and of the
user's thread list as JSON.
"""

import asyncio
import json
import sys
import uuid

from chainlit.context import init_http_context
from chainlit.data.sql_alchemy import SQLAlchemyDataLayer
from chainlit.types import Feedback, Pagination, ThreadFilter
from chainlit.user import User


async def write(dsn: str) -> None:
    init_http_context()
    dl = SQLAlchemyDataLayer(conninfo=dsn)
    user = await dl.create_user(User(identifier="chainlit-user", metadata={"from": "chainlit"}))
    thread_id, question, answer = (str(uuid.uuid4()) for _ in range(3))
    await dl.update_thread(
        thread_id,
        name="Written by Chainlit",
        user_id=user.id,
        metadata={"origin": "chainlit"},
        tags=["old"],
    )
    common = {"threadId": thread_id, "streaming": False, "metadata": {}}
    await dl.create_step(
        {
            **common,
            "id": question,
            "name": "chainlit-user",
            "type": "user_message",
            "output": "what is a quasar",
            "createdAt": "2026-01-01T00:00:01.000000Z",
        }
    )
    await dl.create_step(
        {
            **common,
            "id": answer,
            "name": "Assistant",
            "type": "assistant_message",
            "output": "a bright galactic nucleus",
            "createdAt": "2026-01-01T00:00:02.000000Z",
        }
    )
    feedback = await dl.upsert_feedback(Feedback(forId=answer, value=0, threadId=thread_id))
    print(
        json.dumps(
            {
                "user": user.id,
                "thread": thread_id,
                "steps": [question, answer],
                "feedback": feedback,
            }
        )
    )


async def read(dsn: str, thread_id: str, identifier: str) -> None:
    init_http_context()
    dl = SQLAlchemyDataLayer(conninfo=dsn)
    user = await dl.get_user(identifier)
    page = await dl.list_threads(Pagination(first=20), ThreadFilter(userId=user.id))
    print(
        json.dumps(
            {
                "author": await dl.get_thread_author(thread_id),
                "thread": await dl.get_thread(thread_id),
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
