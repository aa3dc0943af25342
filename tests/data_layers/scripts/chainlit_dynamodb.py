"""Chainlit 2.12's own DynamoDBDataLayer, run only in the reference virtualenv (boto3 added).

``write ENDPOINT TABLE``: a user, a thread, two steps and a feedback; prints their ids.
``read ENDPOINT TABLE THREAD_ID IDENTIFIER``: prints Chainlit's view of the thread, its
author and the user's thread list.
"""

import asyncio
import json
import sys
import uuid

import boto3
from chainlit.context import init_http_context
from chainlit.data.dynamodb import DynamoDBDataLayer
from chainlit.types import Feedback, Pagination, ThreadFilter
from chainlit.user import User


def layer(endpoint: str, table: str) -> DynamoDBDataLayer:
    client = boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    return DynamoDBDataLayer(table_name=table, client=client)


async def write(endpoint: str, table: str) -> None:
    init_http_context()
    dl = layer(endpoint, table)
    user = await dl.create_user(User(identifier="dyn-user", metadata={"from": "chainlit"}))
    thread_id, question, answer = (str(uuid.uuid4()) for _ in range(3))
    await dl.update_thread(
        thread_id, name="Chainlit in Dynamo", user_id=user.id, metadata={"origin": "chainlit"}
    )
    common = {"threadId": thread_id, "streaming": False, "metadata": {}}
    await dl.create_step(
        {
            **common,
            "id": question,
            "name": "dyn-user",
            "type": "user_message",
            "output": "hi dynamo",
            "createdAt": "2026-01-01T00:00:01.000000Z",
        }
    )
    await dl.create_step(
        {
            **common,
            "id": answer,
            "name": "Assistant",
            "type": "assistant_message",
            "output": "hello from the table",
            "createdAt": "2026-01-01T00:00:02.000000Z",
        }
    )
    feedback = await dl.upsert_feedback(Feedback(forId=answer, value=1, threadId=thread_id))
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


async def read(endpoint: str, table: str, thread_id: str, identifier: str) -> None:
    init_http_context()
    dl = layer(endpoint, table)
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
        asyncio.run(write(sys.argv[2], sys.argv[3]))
    else:
        asyncio.run(read(*sys.argv[2:6]))
