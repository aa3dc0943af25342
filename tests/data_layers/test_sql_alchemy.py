"""``switchboard.data.sql_alchemy.SQLAlchemyDataLayer`` on Chainlit's documented schema,
in PostgreSQL (the DDL Chainlit's users run) and in SQLite (the same tables as text),
with element files in S3 (moto's server)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from switchboard.data import BaseDataLayer
from switchboard.data.sql_alchemy import CHAINLIT_TABLES, SQLAlchemyDataLayer
from switchboard.data.storage_clients.s3 import S3StorageClient
from switchboard.sdk.element import Text
from switchboard.sdk.pagination import Pagination, ThreadFilter
from switchboard.sdk.types import Feedback
from switchboard.sdk.user import User
from switchboard.stack import free_port
from switchboard_persistence.stores.chainlit_schema import CHAINLIT_SCHEMA
from tests.support.fixtures import REPO
from tests.support.reference import reference_venv
from tests.support.s3 import start_moto, stop_moto

CHAINLIT_SCRIPT = REPO / "tests" / "data_layers" / "scripts" / "chainlit_sql.py"

CREDENTIALS = {
    "region_name": "us-east-1",
    "aws_access_key_id": "testing",
    "aws_secret_access_key": "testing",
}


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


async def _chainlit_database(url: str) -> None:
    """Chainlit's tables: its users' DDL on PostgreSQL, text columns on SQLite."""
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        if url.startswith("postgresql"):
            for statement in filter(str.strip, CHAINLIT_SCHEMA.split(";")):
                await conn.exec_driver_sql(statement)
        else:
            await conn.run_sync(CHAINLIT_TABLES[0].metadata.create_all)
    await engine.dispose()


@pytest.fixture
async def layer(database_url: str, moto_url: str) -> AsyncIterator[SQLAlchemyDataLayer]:
    await _chainlit_database(database_url)
    bucket = f"cl-{uuid.uuid4().hex[:8]}"
    s3 = boto3.client("s3", endpoint_url=moto_url, **CREDENTIALS)
    s3.create_bucket(Bucket=bucket)
    storage = S3StorageClient(bucket=bucket, endpoint_url=moto_url, **CREDENTIALS)
    data_layer = SQLAlchemyDataLayer(conninfo=database_url, storage_provider=storage)
    yield data_layer
    await data_layer.close()
    s3.close()


def _step(thread_id: str, created: str, output: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "threadId": thread_id,
        "name": "assistant",
        "type": "assistant_message",
        "output": output,
        "createdAt": created,
        "streaming": False,
        "metadata": {"k": "v"},
        **extra,
    }


async def test_users_threads_steps_elements_feedback(layer: SQLAlchemyDataLayer) -> None:
    assert isinstance(layer, BaseDataLayer)
    assert await layer.get_user("ada") is None
    ada = await layer.create_user(User(identifier="ada", metadata={"role": "admin"}))
    assert ada is not None and uuid.UUID(ada.id) and ada.metadata == {"role": "admin"}
    again = await layer.create_user(User(identifier="ada", metadata={"role": "user"}))
    assert again is not None and again.id == ada.id and again.metadata == {"role": "user"}

    thread_id = str(uuid.uuid4())
    await layer.update_thread(thread_id, name="hello", user_id=ada.id, metadata={"a": 1, "b": 2})
    await layer.update_thread(thread_id, metadata={"a": None}, tags=["x", "y"])
    assert await layer.get_thread_author(thread_id) == "ada"

    question = _step(thread_id, "2026-01-01T00:00:01Z", "", type="user_message", input="hi")
    question["showInput"] = True
    answer = _step(thread_id, "2026-01-01T00:00:02Z", "hel")
    await layer.create_step(answer)  # type: ignore[arg-type]
    await layer.create_step(question)  # type: ignore[arg-type]
    await layer.update_step({**answer, "output": "hello there"})  # type: ignore[typeddict-item]
    feedback_id = await layer.upsert_feedback(
        Feedback(forId=answer["id"], threadId=thread_id, value=1, comment="nice")
    )
    text = Text(name="notes", content="some notes", for_id=answer["id"], thread_id=thread_id)
    await layer.create_element(text)

    thread = await layer.get_thread(thread_id)
    assert thread is not None
    assert thread["name"] == "hello" and thread["userId"] == ada.id
    assert thread["metadata"] == {"b": 2} and thread["tags"] == ["x", "y"]
    assert [s["id"] for s in thread["steps"]] == [question["id"], answer["id"]]
    first, second = thread["steps"]
    assert first["input"] == "hi" and first["showInput"] is True
    assert second["output"] == "hello there" and second["metadata"] == {"k": "v"}
    assert second["feedback"] == {
        "forId": answer["id"],
        "id": feedback_id,
        "value": 1,
        "comment": "nice",
    }
    [element] = thread["elements"] or []
    assert element["name"] == "notes" and element["forId"] == answer["id"]
    assert element["objectKey"] == f"{ada.id}/{text.id}/notes"
    assert element["url"] and text.id in element["url"]
    got = await layer.get_element(thread_id, text.id)
    assert got is not None and got["objectKey"] == element["objectKey"]

    assert await layer.delete_feedback(feedback_id)
    await layer.delete_element(text.id, thread_id)
    await layer.delete_step(question["id"])
    thread = await layer.get_thread(thread_id)
    assert thread is not None and [s["id"] for s in thread["steps"]] == [answer["id"]]
    assert thread["steps"][0]["feedback"] is None and thread["elements"] == []

    await layer.delete_thread(thread_id)
    assert await layer.get_thread(thread_id) is None
    with pytest.raises(ValueError, match="Author not found"):
        await layer.get_thread_author(thread_id)


async def test_list_threads_pages_searches_and_filters(layer: SQLAlchemyDataLayer) -> None:
    bob = await layer.create_user(User(identifier="bob"))
    eve = await layer.create_user(User(identifier="eve"))
    assert bob is not None and eve is not None
    ids = [str(uuid.uuid4()) for _ in range(5)]
    for n, thread_id in enumerate(ids):
        await layer.update_thread(thread_id, name=f"chat {n}", user_id=bob.id)
        step = _step(thread_id, f"2026-01-0{n + 1}T00:00:00Z", "apple" if n % 2 else "pear")
        await layer.create_step(step)  # type: ignore[arg-type]
        if n in (0, 3):
            await layer.upsert_feedback(
                Feedback(forId=step["id"], threadId=thread_id, value=1 if n == 0 else 0)
            )
    await layer.update_thread(str(uuid.uuid4()), name="not bob's", user_id=eve.id)

    seen: list[str] = []
    cursor: str | None = None
    while True:
        page = await layer.list_threads(
            Pagination(first=2, cursor=cursor), ThreadFilter(userId=bob.id)
        )
        assert len(page.data) <= 2
        seen.extend(t["id"] for t in page.data)
        if not page.pageInfo.hasNextPage:
            break
        cursor = page.pageInfo.endCursor
    assert seen == list(reversed(ids))

    apples = await layer.list_threads(
        Pagination(first=10), ThreadFilter(userId=bob.id, search="APP")
    )
    assert [t["id"] for t in apples.data] == [ids[3], ids[1]]
    liked = await layer.list_threads(Pagination(first=10), ThreadFilter(userId=bob.id, feedback=1))
    assert [t["id"] for t in liked.data] == [ids[0]]
    disliked = await layer.list_threads(
        Pagination(first=10), ThreadFilter(userId=bob.id, feedback=0)
    )
    assert [t["id"] for t in disliked.data] == [ids[3]]
    with pytest.raises(ValueError, match="userId"):
        await layer.list_threads(Pagination(first=1), ThreadFilter())


async def test_favorites_and_a_database_without_the_schema(
    layer: SQLAlchemyDataLayer, tmp_path: Path
) -> None:
    cy = await layer.create_user(User(identifier="cy"))
    assert cy is not None
    thread_id = str(uuid.uuid4())
    await layer.update_thread(thread_id, user_id=cy.id)
    step = _step(thread_id, "2026-01-01T00:00:00Z", "keep")
    await layer.create_step(step)  # type: ignore[arg-type]
    await layer.set_step_favorite(step, True)  # type: ignore[arg-type]
    assert [s["id"] for s in await layer.get_favorite_steps(cy.id)] == [step["id"]]
    await layer.set_step_favorite(step, False)  # type: ignore[arg-type]
    assert await layer.get_favorite_steps(cy.id) == []

    empty = SQLAlchemyDataLayer(conninfo=f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    try:
        with pytest.raises(RuntimeError, match="no users, threads"):
            await empty.get_user("anyone")
    finally:
        await empty.close()


def _chainlit(*args: str) -> dict[str, Any]:
    """Run Chainlit 2.12's own data layer (the reference virtualenv) on the database.

    In a folder of its own: importing Chainlit writes ``.chainlit/`` into the working
    folder, where ``switchboard run`` would later find it.
    """
    python = reference_venv() / "bin" / "python"
    with tempfile.TemporaryDirectory(prefix="chainlit-ref-") as folder:
        done = subprocess.run(
            [str(python), str(CHAINLIT_SCRIPT), *args],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=folder,
        )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


async def test_chainlit_reads_what_it_wrote_and_what_we_wrote(postgres_url: str) -> None:
    """Both directions against Chainlit 2.12's own SQLAlchemyDataLayer, one database."""
    await _chainlit_database(postgres_url)
    theirs = await asyncio.to_thread(_chainlit, "write", postgres_url)
    layer = SQLAlchemyDataLayer(conninfo=postgres_url)
    try:
        thread = await layer.get_thread(theirs["thread"])
        assert thread is not None
        assert thread["name"] == "Written by Chainlit" and thread["tags"] == ["old"]
        assert thread["userIdentifier"] == "chainlit-user"
        assert [s["id"] for s in thread["steps"]] == theirs["steps"]
        assert thread["steps"][1]["feedback"] is not None
        assert thread["steps"][1]["feedback"]["id"] == theirs["feedback"]
        user = await layer.get_user("chainlit-user")
        assert user is not None and user.id == theirs["user"]

        mine = str(uuid.uuid4())
        await layer.update_thread(mine, name="Written by Switchboard", user_id=user.id)
        step = _step(mine, "2026-01-02T00:00:00.000000Z", "a newer answer", showInput="json")
        await layer.create_step(step)  # type: ignore[arg-type]
        feedback_id = await layer.upsert_feedback(
            Feedback(forId=step["id"], threadId=mine, value=1, comment="great")
        )
    finally:
        await layer.close()

    seen = await asyncio.to_thread(_chainlit, "read", postgres_url, mine, "chainlit-user")
    assert seen["author"] == "chainlit-user"
    assert seen["thread"]["name"] == "Written by Switchboard"
    [their_step] = seen["thread"]["steps"]
    assert their_step["id"] == step["id"] and their_step["output"] == "a newer answer"
    assert their_step["showInput"] == "json" and their_step["metadata"] == {"k": "v"}
    assert their_step["feedback"]["id"] == feedback_id
    assert their_step["feedback"]["comment"] == "great"
    assert seen["listed"] == [mine, theirs["thread"]]
