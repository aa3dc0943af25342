"""A database Chainlit 2.12's SQLAlchemy data layer wrote, served by Switchboard in place.

Chainlit itself (the reference virtualenv, its own ``SQLAlchemyDataLayer``) fills a
fresh PostgreSQL database with two users' threads, nested steps, elements and
feedback. A stack whose persistence service runs with
``SWITCHBOARD_PERSISTENCE_SCHEMA=chainlit`` then lists, opens, searches, rates,
renames, shares and deletes them through the gateway, resumes one, and writes a new
conversation that Chainlit's data layer reads back.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from switchboard.schema import ThreadDict
from switchboard.schema.history import ThreadListRequest, ThreadPage
from switchboard.stack import LocalStack
from switchboard_persistence.stores.chainlit_schema import CHAINLIT_SCHEMA
from switchboard_persistence.stores.switchboard import SwitchboardStore
from tests.support.client import ChainlitClient
from tests.support.fixtures import REPO, TEST_APPS, TEST_DATABASE_URL, StackFactory
from tests.support.reference import reference_venv
from tests.support.signin import FILES_CONFIG, header_sign_in
from tests.support.waiting import eventually

SCRIPT = REPO / "tests" / "compat" / "scripts" / "chainlit_data_layer.py"
SECRET = "chainlit-db-test-secret-" + "z" * 40


def _server_dsn() -> str:
    return TEST_DATABASE_URL.replace("postgresql+asyncpg://", "postgresql://")


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(_server_dsn(), timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def make_chainlit_database(name: str) -> str:
    """A fresh database holding Chainlit's empty tables; its SQLAlchemy (asyncpg) URL."""
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    root = _server_dsn().rsplit("/", 1)[0]

    async def create() -> None:
        conn = await asyncpg.connect(f"{root}/{name}")
        try:
            await conn.execute(CHAINLIT_SCHEMA)
        finally:
            await conn.close()

    asyncio.run(create())
    return f"postgresql+asyncpg://{root.split('://', 1)[1]}/{name}"


def drop_database(name: str) -> None:
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def run_chainlit(*args: str) -> Any:
    """The reference script's JSON output, run with Chainlit's own interpreter.

    In a folder of its own: importing Chainlit writes a ``.chainlit/`` config where it runs.
    """
    python = reference_venv() / "bin" / "python"
    with tempfile.TemporaryDirectory(prefix="chainlit-dl-") as folder:
        done = subprocess.run(
            [str(python), str(SCRIPT), *args],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=folder,
        )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def chainlit_db(postgres_server: str) -> Iterator[str]:
    name = f"sbtest_cl_{uuid.uuid4().hex[:12]}"
    url = make_chainlit_database(name)
    yield url
    drop_database(name)


@pytest.fixture
def written(chainlit_db: str) -> dict[str, Any]:
    """What Chainlit's data layer wrote: ids per user and conversation."""
    out: dict[str, Any] = run_chainlit("write", chainlit_db)
    return out


@pytest.fixture
def stack(make_stack: StackFactory, tmp_path: Path, chainlit_db: str) -> LocalStack:
    config = tmp_path / "config.toml"
    config.write_text(FILES_CONFIG.replace("{max_files}", "2"))
    return make_stack(
        TEST_APPS / "files_app.py",
        config_file=config,
        extra_env={
            "CHAINLIT_AUTH_SECRET": SECRET,
            "SWITCHBOARD_PERSISTENCE_SCHEMA": "chainlit",
            "SWITCHBOARD_CHAINLIT_DATABASE_URL": chainlit_db,
        },
    )


async def _http(stack: LocalStack, name: str) -> httpx.AsyncClient:
    http = httpx.AsyncClient(base_url=stack.url, timeout=20)
    await header_sign_in(http, name)
    return http


async def _page(http: httpx.AsyncClient, **filters: Any) -> list[dict[str, Any]]:
    listing = await http.post(
        "/project/threads", json={"pagination": {"first": 20}, "filter": filters}
    )
    assert listing.status_code == 200, listing.text
    data: list[dict[str, Any]] = listing.json()["data"]
    return data


async def test_chainlit_written_history_is_served_owner_checked(
    written: dict[str, Any], stack: LocalStack
) -> None:
    planets, rivers = written["alice"]
    secret = written["bob"][0]
    alice, bob = await _http(stack, "alice"), await _http(stack, "bob")
    try:
        # Listed newest activity first; bob's thread is not alice's to see.
        listed = await _page(alice)
        assert [t["id"] for t in listed] == [rivers["thread"], planets["thread"]]
        assert {t["name"] for t in listed} == {"Planets", "Rivers"}
        assert all(t["userIdentifier"] == "alice" for t in listed)
        assert [t["id"] for t in await _page(bob)] == [secret["thread"]]
        # Search matches a name or a step's output, as Switchboard's own schema does.
        assert [t["id"] for t in await _page(alice, search="danube")] == [rivers["thread"]]
        assert [t["id"] for t in await _page(alice, search="PLANETS")] == [planets["thread"]]
        assert await _page(alice, search="vault") == []
        assert len(await _page(alice, feedback=1)) == 2

        opened = await alice.get(f"/project/thread/{planets['thread']}")
        assert opened.status_code == 200, opened.text
        thread = opened.json()
        assert thread["metadata"]["chat_profile"] == "p"
        steps = {s["id"]: s for s in thread["steps"]}
        assert [s["id"] for s in thread["steps"]] == [
            planets["question"],
            planets["tool"],
            planets["answer"],
        ]
        assert steps[planets["question"]]["output"] == "question about saturn"
        assert steps[planets["tool"]]["parentId"] == planets["question"]
        assert steps[planets["tool"]]["type"] == "tool"
        assert steps[planets["tool"]]["showInput"] == "json"
        assert steps[planets["answer"]]["feedback"] == {
            "forId": planets["answer"],
            "id": planets["feedback"],
            "value": 1,
            "comment": "helpful",
        }
        (element,) = thread["elements"]
        assert element["id"] == planets["element"]
        assert element["forId"] == planets["answer"]
        assert element["name"] == "notes.txt" and element["display"] == "side"
        assert element["url"].startswith("https://files.example.test/")
        one = await alice.get(f"/project/thread/{planets['thread']}/element/{planets['element']}")
        assert one.status_code == 200 and one.json()["id"] == planets["element"]

        # Every route refuses bob with the answer for a thread that does not exist.
        assert (await bob.get(f"/project/thread/{planets['thread']}")).status_code == 404
        element_url = f"/project/thread/{planets['thread']}/element/{planets['element']}"
        assert (await bob.get(element_url)).status_code == 404
        body = {"threadId": planets["thread"], "name": "bob's"}
        assert (await bob.put("/project/thread", json=body)).status_code == 404
        share = {"threadId": planets["thread"], "isShared": True}
        assert (await bob.put("/project/thread/share", json=share)).status_code == 404
        gone = {"threadId": planets["thread"]}
        assert (await bob.request("DELETE", "/project/thread", json=gone)).status_code == 404
        rating = {"forId": planets["answer"], "value": 0, "threadId": planets["thread"]}
        stolen = await bob.put("/feedback", json={"feedback": rating, "sessionId": None})
        assert stolen.status_code == 404
        unrate = {"feedbackId": planets["feedback"]}
        assert (await bob.request("DELETE", "/feedback", json=unrate)).status_code == 404
        assert (await alice.get(f"/project/thread/{secret['thread']}")).status_code == 404

        # The owner changes what Chainlit wrote.
        renamed = await alice.put(
            "/project/thread", json={"threadId": planets["thread"], "name": "Moons"}
        )
        assert renamed.status_code == 200, renamed.text
        shared = await alice.put("/project/thread/share", json=share)
        assert shared.status_code == 200, shared.text
        rated = await alice.put(
            "/feedback",
            json={"feedback": {**rating, "comment": "changed my mind"}, "sessionId": None},
        )
        assert rated.status_code == 200, rated.text
        thread = (await alice.get(f"/project/thread/{planets['thread']}")).json()
        assert thread["name"] == "Moons"
        assert thread["metadata"]["is_shared"] is True
        answer = next(s for s in thread["steps"] if s["id"] == planets["answer"])
        assert answer["feedback"]["id"] == planets["feedback"]  # one rating per step
        assert answer["feedback"]["value"] == 0
        assert answer["feedback"]["comment"] == "changed my mind"
        viewed = await bob.get(f"/project/share/{planets['thread']}")
        assert viewed.status_code == 200, viewed.text
        assert "chat_profile" not in viewed.json()["metadata"]

        deleted = await alice.request(
            "DELETE", "/project/thread", json={"threadId": rivers["thread"]}
        )
        assert deleted.status_code == 200, deleted.text
        assert [t["id"] for t in await _page(alice)] == [planets["thread"]]
        assert (await alice.get(f"/project/thread/{rivers['thread']}")).status_code == 404
    finally:
        await alice.aclose()
        await bob.aclose()

    # Chainlit's own data layer sees Switchboard's changes.
    seen = run_chainlit("read", stack_db(stack), planets["thread"], "alice")
    assert seen["author"] == "alice"
    assert seen["thread"]["name"] == "Moons"
    assert seen["thread"]["metadata"]["is_shared"] is True
    assert rivers["thread"] not in seen["listed"]


def stack_db(stack: LocalStack) -> str:
    return stack.extra_env["SWITCHBOARD_CHAINLIT_DATABASE_URL"]


async def test_a_chainlit_thread_resumes_and_a_new_one_reads_back_in_chainlit(
    written: dict[str, Any], stack: LocalStack, client_factory: Any
) -> None:
    planets = written["alice"][0]
    http = await _http(stack, "alice")
    token = http.cookies["access_token"]
    try:
        # Resume: the thread Chainlit wrote comes back over the socket, owner-checked.
        resumed: ChainlitClient = client_factory(
            stack.url, headers={"Cookie": f"access_token={token}"}
        )
        resumed.auth["threadId"] = planets["thread"]
        await resumed.start()
        event = await resumed.wait_for("resume_thread", timeout=20)
        outputs = [s.get("output") for s in event.data["steps"]]
        assert "question about saturn" in outputs and "the answer about saturn" in outputs
        reply_mark = len(resumed.events)
        await resumed.send("more about rings", threadId=planets["thread"])
        await resumed.wait_for(
            "new_message", lambda d: d.get("output") == "echo more about rings", since=reply_mark
        )

        # A new conversation, written by Switchboard into Chainlit's tables.
        fresh: ChainlitClient = client_factory(
            stack.url, headers={"Cookie": f"access_token={token}"}
        )
        await fresh.start()
        await fresh.wait_for("clear_call_fn", timeout=15)
        await fresh.send("hello from switchboard")
        reply = await fresh.wait_for(
            "new_message", lambda d: d.get("output") == "echo hello from switchboard", timeout=20
        )
        thread_id = reply.data["threadId"]
        # Elements whose content Switchboard stored: rows in Chainlit's table, bytes served.
        await fresh.send("image")
        await fresh.wait_for("new_message", lambda d: d.get("output") == "here is a dot")

        async def with_elements() -> httpx.Response | None:
            opened = await http.get(f"/project/thread/{thread_id}")
            if opened.status_code == 200 and len(opened.json()["elements"]) >= 2:
                return opened
            return None

        opened = await eventually(with_elements, f"thread {thread_id} stored with its elements")
        shown = {e["name"]: e for e in opened.json()["elements"]}
        assert set(shown) == {"dot.png", "note"}
        assert shown["dot.png"]["url"].startswith("/project/file/")
        image = await http.get(shown["dot.png"]["url"])
        assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
        # The resumed thread got the new exchange too.
        again = (await http.get(f"/project/thread/{planets['thread']}")).json()
        assert "echo more about rings" in [s.get("output") for s in again["steps"]]
    finally:
        await http.aclose()

    seen = run_chainlit("read", stack_db(stack), thread_id, "alice")
    assert seen["author"] == "alice"
    assert thread_id in seen["listed"]
    steps = seen["thread"]["steps"]
    asked = [s["output"] for s in steps if s["type"] == "user_message"]
    assert asked == ["hello from switchboard", "image"]
    assert "echo hello from switchboard" in [s["output"] for s in steps]
    assert seen["thread"]["userIdentifier"] == "alice"
    assert seen["thread"]["userId"] == written["alice_id"]
    assert sorted(e["name"] for e in seen["thread"]["elements"]) == ["dot.png", "note"]


def _switchboard_import(source: str, destination: str, *args: str) -> str:
    """``switchboard import`` as an operator runs it; its output."""
    command = [str(Path(sys.executable).parent / "switchboard"), "import", *args]
    env = {
        **os.environ,
        "SWITCHBOARD_DATABASE_URL": destination,
        "SWITCHBOARD_CHAINLIT_DATABASE_URL": source,
        "SWITCHBOARD_LOG_JSON": "false",
    }
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done.stdout


async def _imported(destination: str) -> tuple[ThreadPage, ThreadDict | None, ThreadPage]:
    engine = create_async_engine(destination)
    try:
        store = SwitchboardStore(engine)
        alice = await store.list_threads("alice", ThreadListRequest())
        bob = await store.list_threads("bob", ThreadListRequest())
        first = await store.get_thread(alice.data[-1].id) if alice.data else None
        return alice, first, bob
    finally:
        await engine.dispose()


def test_switchboard_import_copies_a_chainlit_database_once(
    written: dict[str, Any], chainlit_db: str, postgres_url: str
) -> None:
    dry = _switchboard_import(chainlit_db, postgres_url, "--dry-run")
    assert "dry run: nothing written" in dry
    for line in ("users: 2", "threads: 3", "steps: 9", "elements: 3", "feedbacks: 3"):
        assert line in dry.splitlines(), dry

    async def tables() -> list[str]:
        conn = await asyncpg.connect(postgres_url.replace("+asyncpg", ""))
        try:
            rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname='public'")
            return [r["tablename"] for r in rows]
        finally:
            await conn.close()

    assert asyncio.run(tables()) == [], "a dry run wrote to the destination"

    done = _switchboard_import(chainlit_db, postgres_url)
    for line in (
        "threads: 3 copied of 3",
        "steps: 9 copied of 9",
        "elements: 3 copied of 3",
        "feedbacks: 3 copied of 3",
    ):
        assert line in done.splitlines(), done
    planets = written["alice"][0]
    alice, first, bob = asyncio.run(_imported(postgres_url))
    assert [t.name for t in alice.data] == ["Rivers", "Planets"]
    assert [t.name for t in bob.data] == ["Bob's secret"]
    assert first is not None and first.id == planets["thread"]
    assert [s.id for s in first.steps] == [planets["question"], planets["tool"], planets["answer"]]
    tool = first.steps[1]
    assert tool.parentId == planets["question"] and tool.showInput == "json"
    answer = first.steps[2]
    assert answer.feedback is not None and answer.feedback.id == planets["feedback"]
    assert answer.feedback.comment == "helpful"
    (element,) = first.elements
    assert element.id == planets["element"] and element.forId == planets["answer"]
    assert (element.url or "").startswith("https://files.example.test/")

    again = _switchboard_import(chainlit_db, postgres_url)
    for table, total in (("threads", 3), ("steps", 9), ("elements", 3), ("feedbacks", 3)):
        assert f"{table}: 0 copied of {total}" in again.splitlines(), again
    assert asyncio.run(_imported(postgres_url))[0] == alice


def test_chainlit_mode_refuses_to_start_without_chainlit_tables(
    postgres_url: str, tmp_path: Path
) -> None:
    """Nothing is created in an app's database: a wrong URL stops the service, saying why."""
    env = {
        **os.environ,
        "SWITCHBOARD_PERSISTENCE_SCHEMA": "chainlit",
        "SWITCHBOARD_CHAINLIT_DATABASE_URL": postgres_url,
        "SWITCHBOARD_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'own.db'}",
        "SWITCHBOARD_STORAGE_DIR": str(tmp_path / "files"),
        "SWITCHBOARD_SERVICE_SECRET": "chainlit-mode-test-" + "s" * 40,
        "SWITCHBOARD_PERSISTENCE_PORT": "0",
        "SWITCHBOARD_LOG_JSON": "false",
    }
    command = [sys.executable, "-m", "switchboard_persistence", "serve"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    said = done.stdout + done.stderr
    assert "lacks users, threads, steps, elements, feedbacks" in said, said[-3000:]
    assert "SWITCHBOARD_CHAINLIT_DATABASE_URL" in said
