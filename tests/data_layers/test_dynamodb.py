"""``switchboard.data.dynamodb.DynamoDBDataLayer`` against a real DynamoDB API: moto's
server, started as its own process on a free port.

Items are also read with the plain boto3 client, so the table holds Chainlit's
single-table layout (``PK``/``SK``, the ``UserThread`` index), not just something
this class reads back.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from switchboard.data import BaseDataLayer
from switchboard.data.dynamodb import USER_THREAD_INDEX, DynamoDBDataLayer, create_table
from switchboard.data.storage_clients.s3 import S3StorageClient
from switchboard.data.utils import writing_thread
from switchboard.sdk.element import Text
from switchboard.sdk.pagination import Pagination, ThreadFilter
from switchboard.sdk.types import Feedback
from switchboard.sdk.user import User
from switchboard.stack import free_port
from tests.support.fixtures import REPO
from tests.support.reference import reference_venv
from tests.support.s3 import start_moto, stop_moto

CHAINLIT_SCRIPT = REPO / "tests" / "data_layers" / "scripts" / "chainlit_dynamodb.py"
BOTO3 = "1.44.8"

CREDENTIALS = {
    "region_name": "us-east-1",
    "aws_access_key_id": "testing",
    "aws_secret_access_key": "testing",
}


@pytest.fixture(scope="module")
def moto_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    server: subprocess.Popen[bytes] = start_moto(port, Path(log))
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_moto(server)


@pytest.fixture
def client(moto_url: str) -> Any:
    return boto3.client("dynamodb", endpoint_url=moto_url, **CREDENTIALS)


@pytest.fixture
async def layer(client: Any, moto_url: str) -> AsyncIterator[DynamoDBDataLayer]:
    table = f"chainlit-{uuid.uuid4().hex[:8]}"
    create_table(client, table)
    s3 = boto3.client("s3", endpoint_url=moto_url, **CREDENTIALS)
    s3.create_bucket(Bucket=table)
    storage = S3StorageClient(bucket=table, endpoint_url=moto_url, **CREDENTIALS)
    yield DynamoDBDataLayer(table_name=table, client=client, storage_provider=storage)
    s3.close()


def _step(thread_id: str, step_id: str, created: str, output: str = "") -> dict[str, Any]:
    return {
        "id": step_id,
        "threadId": thread_id,
        "name": "assistant",
        "type": "assistant_message",
        "output": output,
        "createdAt": created,
        "metadata": {"score": 0.5},
        "streaming": False,
    }


async def test_users_are_chainlit_items(layer: DynamoDBDataLayer, client: Any) -> None:
    assert isinstance(layer, BaseDataLayer)
    assert await layer.get_user("ada") is None
    created = await layer.create_user(User(identifier="ada", metadata={"role": "admin"}))
    assert created is not None and created.id == "ada" and created.metadata == {"role": "admin"}
    again = await layer.create_user(User(identifier="ada", metadata={"role": "user"}))
    assert again is not None
    assert again.createdAt == created.createdAt and again.metadata == {"role": "user"}
    raw = client.get_item(
        TableName=layer.table_name, Key={"PK": {"S": "USER#ada"}, "SK": {"S": "USER"}}
    )["Item"]
    assert raw["identifier"] == {"S": "ada"} and raw["metadata"]["M"]["role"] == {"S": "user"}


async def test_thread_steps_elements_feedback_and_delete(
    layer: DynamoDBDataLayer, client: Any
) -> None:
    thread_id = str(uuid.uuid4())
    await layer.update_thread(thread_id, name="first", user_id="ada", metadata={"a": 1})
    await layer.update_thread(thread_id, metadata={"b": 2, "a": None}, tags=["t"])
    assert await layer.get_thread_author(thread_id) == "ada"

    await layer.create_step(_step(thread_id, "s2", "2026-01-01T00:00:02Z", "second"))  # type: ignore[arg-type]
    await layer.create_step(_step(thread_id, "s1", "2026-01-01T00:00:01Z", "fi"))  # type: ignore[arg-type]
    await layer.update_step({"id": "s1", "threadId": thread_id, "output": "first answer"})
    feedback_id = await layer.upsert_feedback(
        Feedback(forId="s1", threadId=thread_id, value=1, comment="good")
    )
    assert feedback_id == f"THREAD#{thread_id}::STEP#s1"
    await layer.update_step({"id": "s1", "threadId": thread_id, "output": "first answer!"})
    # A redelivered create (another persistence replica) keeps the step's feedback.
    again = _step(thread_id, "s1", "2026-01-01T00:00:01Z", "first answer!")
    await layer.create_step(again)  # type: ignore[arg-type]

    text = Text(name="notes", content="hello from dynamo", for_id="s1", thread_id=thread_id)
    await layer.create_element(text)

    thread = await layer.get_thread(thread_id)
    assert thread is not None
    assert thread["name"] == "first" and thread["userIdentifier"] == "ada"
    assert thread["metadata"] == {"b": 2} and thread["tags"] == ["t"]
    assert [s["id"] for s in thread["steps"]] == ["s1", "s2"]
    first = thread["steps"][0]
    assert first["output"] == "first answer!" and first["metadata"] == {"score": 0.5}
    feedback = first.get("feedback")
    assert feedback is not None and feedback["value"] == 1 and feedback["comment"] == "good"
    [element] = thread["elements"] or []
    assert element["name"] == "notes" and element["objectKey"] == f"ada/{thread_id}/{text.id}"
    assert element["url"] and text.id in element["url"]
    assert await layer.get_element(thread_id, text.id) is not None

    # Chainlit's layout, read with the plain client.
    keys = {
        (i["PK"]["S"], i["SK"]["S"])
        for i in client.query(
            TableName=layer.table_name,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": f"THREAD#{thread_id}"}},
        )["Items"]
    }
    assert keys == {
        (f"THREAD#{thread_id}", "THREAD"),
        (f"THREAD#{thread_id}", "STEP#s1"),
        (f"THREAD#{thread_id}", "STEP#s2"),
        (f"THREAD#{thread_id}", f"ELEMENT#{text.id}"),
    }

    assert await layer.delete_feedback(feedback_id)
    with writing_thread(thread_id):
        await layer.delete_step("s2")
    await layer.delete_element(text.id, thread_id)
    thread = await layer.get_thread(thread_id)
    assert thread is not None
    assert [s["id"] for s in thread["steps"]] == ["s1"] and "feedback" not in thread["steps"][0]
    assert thread["elements"] == []

    await layer.delete_thread(thread_id)
    assert await layer.get_thread(thread_id) is None
    with pytest.raises(ValueError, match="Author not found"):
        await layer.get_thread_author(thread_id)


async def test_list_threads_pages_searches_and_filters(
    layer: DynamoDBDataLayer, client: Any
) -> None:
    ids = [str(uuid.uuid4()) for _ in range(5)]
    for n, thread_id in enumerate(ids):
        await layer.update_thread(thread_id, name=f"chat {n} {'apple' if n % 2 else 'pear'}")
        await layer.update_thread(thread_id, user_id="bob")
        await layer.create_step(_step(thread_id, f"m{n}", f"2026-01-0{n + 1}T00:00:00Z"))  # type: ignore[arg-type]
    await layer.update_thread(str(uuid.uuid4()), name="someone else's", user_id="eve")
    await layer.upsert_feedback(Feedback(forId="m3", threadId=ids[3], value=0))
    await layer.upsert_feedback(Feedback(forId="m0", threadId=ids[0], value=1))

    newest_first = list(reversed(ids))
    seen: list[str] = []
    cursor: str | None = None
    while True:
        page = await layer.list_threads(
            Pagination(first=2, cursor=cursor), ThreadFilter(userId="bob")
        )
        seen.extend(t["id"] for t in page.data)
        assert len(page.data) <= 2
        if not page.pageInfo.hasNextPage:
            break
        cursor = page.pageInfo.endCursor
        assert cursor is not None and json.loads(cursor)["PK"]["S"].startswith("THREAD#")
    assert seen == newest_first

    apples = await layer.list_threads(
        Pagination(first=10), ThreadFilter(userId="bob", search="apple")
    )
    assert [t["id"] for t in apples.data] == [ids[3], ids[1]]
    assert not apples.pageInfo.hasNextPage
    disliked = await layer.list_threads(
        Pagination(first=10), ThreadFilter(userId="bob", feedback=0)
    )
    assert [t["id"] for t in disliked.data] == [ids[3]]
    liked = await layer.list_threads(Pagination(first=1), ThreadFilter(userId="bob", feedback=1))
    assert [t["id"] for t in liked.data] == [ids[0]] and not liked.pageInfo.hasNextPage

    index = client.describe_table(TableName=layer.table_name)["Table"]["GlobalSecondaryIndexes"]
    assert [i["IndexName"] for i in index] == [USER_THREAD_INDEX]


async def test_favorite_steps(layer: DynamoDBDataLayer) -> None:
    thread_id = str(uuid.uuid4())
    await layer.update_thread(thread_id, user_id="cy")
    step = _step(thread_id, "fav", "2026-01-01T00:00:00Z", "keep me")
    await layer.create_step(step)  # type: ignore[arg-type]
    await layer.create_step(_step(thread_id, "plain", "2026-01-01T00:00:01Z"))  # type: ignore[arg-type]
    await layer.set_step_favorite(step, True)  # type: ignore[arg-type]
    assert [s["id"] for s in await layer.get_favorite_steps("cy")] == ["fav"]
    await layer.set_step_favorite(step, False)  # type: ignore[arg-type]
    assert await layer.get_favorite_steps("cy") == []
    assert await layer.build_debug_url() == ""


def _reference_with_boto3() -> tuple[Path, dict[str, str]]:
    """The reference Chainlit's interpreter, and an environment that adds boto3 to it.

    boto3 goes into a folder of its own on PYTHONPATH, so the shared reference
    virtualenv stays as its other users installed it.
    """
    venv = reference_venv()
    extra = venv.parent / f"{venv.name}-boto3-{BOTO3}"
    marker = extra / ".installed"
    if not marker.exists():
        uv = shutil.which("uv")
        assert uv is not None, "uv is needed to add boto3 to the reference Chainlit"
        subprocess.run(
            [uv, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"),
             "--target", str(extra), f"boto3=={BOTO3}"],
            check=True,
        )  # fmt: skip
        marker.write_text(BOTO3)
    return venv / "bin" / "python", {**os.environ, "PYTHONPATH": str(extra)}


def _chainlit(*args: str) -> dict[str, Any]:
    """Run Chainlit 2.12's own DynamoDB layer, in a folder of its own: importing Chainlit
    writes ``.chainlit/`` into the working folder."""
    python, env = _reference_with_boto3()
    with tempfile.TemporaryDirectory(prefix="chainlit-ref-") as folder:
        done = subprocess.run(
            [str(python), str(CHAINLIT_SCRIPT), *args],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
            cwd=folder,
        )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


async def test_chainlit_reads_what_it_wrote_and_what_we_wrote(
    layer: DynamoDBDataLayer, moto_url: str
) -> None:
    """Both directions against Chainlit 2.12's own DynamoDBDataLayer, one table."""
    theirs = await asyncio.to_thread(_chainlit, "write", moto_url, layer.table_name)
    user = await layer.get_user("dyn-user")
    assert user is not None and user.id == theirs["user"] == "dyn-user"
    assert user.metadata == {"from": "chainlit"}
    thread = await layer.get_thread(theirs["thread"])
    assert thread is not None and thread["name"] == "Chainlit in Dynamo"
    assert thread["userIdentifier"] == "dyn-user" and thread["metadata"] == {"origin": "chainlit"}
    assert [s["id"] for s in thread["steps"]] == theirs["steps"]
    feedback = thread["steps"][1].get("feedback")
    assert feedback is not None and feedback["value"] == 1 and feedback["id"] == theirs["feedback"]
    listed = await layer.list_threads(Pagination(first=5), ThreadFilter(userId="dyn-user"))
    assert [t["id"] for t in listed.data] == [theirs["thread"]]

    mine = str(uuid.uuid4())
    await layer.update_thread(mine, name="Switchboard in Dynamo", user_id="dyn-user")
    step = _step(mine, "s1", "2026-01-02T00:00:00.000000Z", "newer")
    await layer.create_step(step)  # type: ignore[arg-type]
    feedback_id = await layer.upsert_feedback(
        Feedback(forId="s1", threadId=mine, value=0, comment="meh")
    )
    seen = await asyncio.to_thread(_chainlit, "read", moto_url, layer.table_name, mine, "dyn-user")
    assert seen["author"] == "dyn-user"
    assert seen["thread"]["name"] == "Switchboard in Dynamo"
    [their_step] = seen["thread"]["steps"]
    assert their_step["output"] == "newer" and their_step["metadata"] == {"score": 0.5}
    assert their_step["feedback"]["id"] == feedback_id and their_step["feedback"]["value"] == 0
    assert seen["listed"] == [mine, theirs["thread"]]
