"""Chainlit's own data layer classes as an app's ``@cl.data_layer``, behind the whole stack.

The app returns ``SQLAlchemyDataLayer`` (SQLite, Chainlit's tables) or
``DynamoDBDataLayer`` (moto's server, element files in its S3); a user chats over
Socket.IO and reads, pages, renames and deletes history through the gateway, and the
rows land where Chainlit keeps them.
"""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from switchboard.data.dynamodb import create_table
from switchboard.data.sql_alchemy import CHAINLIT_TABLES
from switchboard.stack import LocalStack, free_port
from tests.support.client import ChainlitClient, chainlit_auth
from tests.support.fixtures import TEST_APPS, StackFactory
from tests.support.s3 import start_moto, stop_moto
from tests.support.signin import header_sign_in

SECRET = "chainlit-layers-secret-" + "q" * 40
AWS = {"region_name": "us-east-1", "aws_access_key_id": "testing", "aws_secret_access_key": "t"}


@pytest.fixture(scope="module")
def moto_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    server: subprocess.Popen[bytes] = start_moto(
        port, Path(tmp_path_factory.mktemp("moto")) / "moto.log"
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_moto(server)


async def _sqlite_with_chainlit_tables(path: Path) -> str:
    url = f"sqlite+aiosqlite:///{path}"
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(CHAINLIT_TABLES[0].metadata.create_all)
    await engine.dispose()
    return url


@pytest.fixture(params=["sql", "dynamodb"])
async def stack(
    request: pytest.FixtureRequest, make_stack: StackFactory, tmp_path: Path
) -> LocalStack:
    env = {
        "CHAINLIT_AUTH_SECRET": SECRET,
        "SWITCHBOARD_PERSISTENCE_SCHEMA": "app",
        "TEST_DATA_LAYER": request.param,
    }
    if request.param == "sql":
        env["TEST_SQL_URL"] = await _sqlite_with_chainlit_tables(tmp_path / "chainlit.db")
    else:
        endpoint: str = request.getfixturevalue("moto_url")
        table = f"chainlit-{uuid.uuid4().hex[:8]}"
        create_table(boto3.client("dynamodb", endpoint_url=endpoint, **AWS), table)
        boto3.client("s3", endpoint_url=endpoint, **AWS).create_bucket(Bucket=table)
        env.update(TEST_AWS_ENDPOINT=endpoint, TEST_DYNAMODB_TABLE=table)
    return make_stack(TEST_APPS / "chainlit_data_layer_app.py", extra_env=env)


@pytest.fixture
async def http(stack: LocalStack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stack.url, timeout=20) as client:
        await header_sign_in(client, "ada")
        yield client


async def _session(
    stack: LocalStack, http: httpx.AsyncClient, client_factory: Any, **auth: Any
) -> Any:
    cookie = http.cookies["access_token"]
    client: ChainlitClient = client_factory(
        stack.url, auth=chainlit_auth(**auth), headers={"Cookie": f"access_token={cookie}"}
    )
    await client.start()
    return client


async def _chat(client: ChainlitClient, text: str, reply: str) -> dict[str, Any]:
    mark = len(client.events)
    await client.send(text)
    got = await client.wait_for("new_message", lambda m: m["output"] == reply, since=mark)
    data: dict[str, Any] = got.data
    return data


async def _stored(http: httpx.AsyncClient, thread_id: str, check: Any) -> dict[str, Any]:
    for _ in range(200):
        response = await http.get(f"/project/thread/{thread_id}")
        if response.status_code == 200 and check(response.json()):
            thread: dict[str, Any] = response.json()
            return thread
        await asyncio.sleep(0.1)
    raise AssertionError(f"thread {thread_id} never reached the expected state: {response.text}")


def _outputs(thread: dict[str, Any]) -> list[str | None]:
    # A step read back between its creation and its first update has no output yet in
    # DynamoDB's items (Chainlit's own layer writes only the fields it is given).
    return [s.get("output") for s in thread["steps"] if s["type"] != "run"]


async def test_history_lives_in_the_apps_chainlit_data_layer(
    stack: LocalStack, http: httpx.AsyncClient, client_factory: Any
) -> None:
    first = await _session(stack, http, client_factory)
    hello = await _chat(first, "hello", "echo: hello")
    await _chat(first, "forget", "echo: forget")
    await _chat(first, "note", "here is a note")
    thread_id = hello["threadId"]
    thread = await _stored(http, thread_id, lambda t: len(t["elements"] or []) == 1)
    # The removed message was deleted from the data layer (delete_step found its thread).
    assert _outputs(thread) == ["hello", "echo: hello", "forget", "echo: forget", "note",
                                "here is a note"]  # fmt: skip
    assert thread["userIdentifier"] == "ada" and thread["name"] == "hello"
    [note] = thread["elements"]
    assert note["name"] == "note"

    # Resuming reads the thread back from the data layer for on_chat_resume.
    again = await _session(stack, http, client_factory, threadId=thread_id)
    await again.wait_for("resume_thread", timeout=20)
    resumed = await again.wait_for(
        "new_message", lambda m: m["output"].startswith("resumed: "), timeout=20
    )
    assert resumed.data["output"] == (
        "resumed: hello | echo: hello | forget | echo: forget | note | here is a note"
    )

    second = await _session(stack, http, client_factory)
    later = await _chat(second, "second chat", "echo: second chat")
    await _stored(http, later["threadId"], lambda t: len(_outputs(t)) == 2)

    # One per page, cursors that are thread ids whatever the data layer's are. (Which of
    # the two is newer depends on when the resume's last write landed: not asserted.)
    pages: list[str] = []
    cursor = None
    for _ in range(3):
        body: dict[str, Any] = {"pagination": {"first": 1, "cursor": cursor}}
        page = (await http.post("/project/threads", json=body)).json()
        pages += [t["id"] for t in page["data"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        cursor = page["pageInfo"]["endCursor"]
        assert uuid.UUID(cursor)
    assert sorted(pages) == sorted([later["threadId"], thread_id])

    renamed = await http.put("/project/thread", json={"threadId": thread_id, "name": "Renamed"})
    assert renamed.json() == {"success": True}
    assert (await http.get(f"/project/thread/{thread_id}")).json()["name"] == "Renamed"
    answer = next(s for s in thread["steps"] if s["output"] == "echo: hello")
    saved = await http.put(
        "/feedback", json={"feedback": {"forId": answer["id"], "value": 1, "comment": "ok"}}
    )
    assert saved.status_code == 200, saved.text
    feedback_id = saved.json()["feedbackId"]
    assert uuid.UUID(feedback_id)
    rated = await _stored(
        http,
        thread_id,
        lambda t: any((s.get("feedback") or {}).get("value") == 1 for s in t["steps"]),
    )
    shown = next(s for s in rated["steps"] if s["id"] == answer["id"])
    assert shown["feedback"]["id"] == feedback_id and shown["feedback"]["comment"] == "ok"
    removed = await http.request("DELETE", "/feedback", json={"feedbackId": feedback_id})
    assert removed.status_code == 200, removed.text

    deleted = await http.request("DELETE", "/project/thread", json={"threadId": thread_id})
    assert deleted.json() == {"success": True}
    assert (await http.get(f"/project/thread/{thread_id}")).status_code == 404
    left = (await http.post("/project/threads", json={"pagination": {"first": 5}})).json()
    assert [t["id"] for t in left["data"]] == [later["threadId"]]
