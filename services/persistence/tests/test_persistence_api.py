"""The REST API: owner checks, service tokens, health; and the service as a process."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import redis.asyncio as aioredis
from persistence_support import (
    SECRET,
    TEST_REDIS_URL,
    auth,
    new_id,
    publish,
    step_upsert,
    thread_upsert,
    wait_for,
)
from sqlalchemy import update

from switchboard.names import RedisNames
from switchboard.schema import UserRef
from switchboard.stack import free_port
from switchboard_persistence.repository import THREADS, Repository

ALICE = UserRef(identifier="alice", id="u-alice")
BOB = UserRef(identifier="bob", id="u-bob")
_auth = auth


async def test_owner_reads_a_thread_the_consumer_stored(
    client: httpx.AsyncClient, redis: aioredis.Redis, redis_prefix: str
) -> None:
    tid, user, answer = new_id(), new_id(), new_id()
    await publish(
        redis,
        RedisNames(redis_prefix).persist_stream,
        thread_upsert(tid, name="hi", user_id=ALICE.id, user_identifier=ALICE.identifier),
        step_upsert(
            tid, id=user, type="user_message", output="hi", createdAt="2025-01-01T00:00:00.000000Z"
        ),
        step_upsert(
            tid,
            id=answer,
            type="assistant_message",
            output="hello",
            parentId=user,
            createdAt="2025-01-01T00:00:01.000000Z",
        ),
    )

    async def fetch() -> httpx.Response:
        return await client.get(f"/threads/{tid}", headers=_auth(ALICE))

    response = await wait_for(fetch, lambda r: r.status_code == 200 and len(r.json()["steps"]) == 2)
    body = response.json()
    assert body["id"] == tid
    assert (body["name"], body["userId"], body["userIdentifier"]) == ("hi", "u-alice", "alice")
    assert body["createdAt"].endswith("Z")
    assert body["metadata"] == {} and body["elements"] == []
    first, second = body["steps"]
    assert (first["id"], first["type"], first["output"]) == (user, "user_message", "hi")
    assert (second["id"], second["parentId"], second["threadId"]) == (answer, user, tid)


async def test_other_users_and_anonymous_get_404(
    client: httpx.AsyncClient, repository: Repository
) -> None:
    tid = new_id()
    await repository.apply([thread_upsert(tid, name="private", user_identifier="alice")])
    assert (await client.get(f"/threads/{tid}", headers=_auth(ALICE))).status_code == 200
    for who in (BOB, None):
        response = await client.get(f"/threads/{tid}", headers=_auth(who))
        assert response.status_code == 404
        assert response.json() == {"detail": "Thread not found"}
    missing = await client.get(f"/threads/{new_id()}", headers=_auth(ALICE))
    assert (missing.status_code, missing.json()) == (404, {"detail": "Thread not found"})


async def test_anonymous_threads_are_for_anonymous_callers(
    client: httpx.AsyncClient, repository: Repository
) -> None:
    tid = new_id()
    await repository.apply([step_upsert(tid, id=new_id(), output="anonymous")])
    assert (await client.get(f"/threads/{tid}", headers=_auth(None))).status_code == 200
    assert (await client.get(f"/threads/{tid}", headers=_auth(ALICE))).status_code == 404


async def test_deleted_threads_are_404(client: httpx.AsyncClient, repository: Repository) -> None:
    tid = new_id()
    await repository.apply([thread_upsert(tid, name="gone", user_identifier="alice")])
    async with repository.engine.begin() as conn:
        await conn.execute(
            update(THREADS).where(THREADS.c.id == tid).values(deleted_at=THREADS.c.updated_at)
        )
    assert (await client.get(f"/threads/{tid}", headers=_auth(ALICE))).status_code == 404


async def test_service_token_is_required(client: httpx.AsyncClient, repository: Repository) -> None:
    tid = new_id()
    await repository.apply([thread_upsert(tid, name="t", user_identifier="alice")])
    path = f"/threads/{tid}"
    assert (await client.get(path)).status_code == 401
    bad = [
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Basic YWxpY2U6cHc="},
        _auth(ALICE, secret="another-secret-" + "y" * 32),
        _auth(ALICE, audience="sessions"),
    ]
    for headers in bad:
        response = await client.get(path, headers=headers)
        assert response.status_code == 401, headers
    assert (await client.get(path, headers=_auth(ALICE))).status_code == 200


async def test_health_readiness_and_metrics(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert (ready.status_code, ready.json()) == (200, {"status": "ok"})
    metrics = (await client.get("/metrics")).text
    assert "switchboard_persistence_batch_commit_seconds" in metrics


async def test_the_cli_migrates_and_serves(tmp_path: Path, redis_prefix: str) -> None:
    """``python -m switchboard_persistence``: migrate, then serve until SIGTERM."""
    port = free_port()
    env = {
        **os.environ,
        "SWITCHBOARD_DATABASE_URL": f"sqlite:///{tmp_path / 'db' / 'switchboard.db'}",
        "SWITCHBOARD_REDIS_URL": TEST_REDIS_URL,
        "SWITCHBOARD_REDIS_PREFIX": redis_prefix,
        "SWITCHBOARD_SERVICE_SECRET": SECRET,
        "SWITCHBOARD_PERSISTENCE_PORT": str(port),
        "SWITCHBOARD_STORAGE_DIR": str(tmp_path / "objects"),
        "SWITCHBOARD_LOG_JSON": "false",
    }
    migrate = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "switchboard_persistence", "migrate", env=env
    )
    assert await migrate.wait() == 0
    assert (tmp_path / "db" / "switchboard.db").exists()

    log = (tmp_path / "serve.log").open("wb")
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "switchboard_persistence",
        "serve",
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:

            async def ready() -> int:
                if server.returncode is not None:
                    output = (tmp_path / "serve.log").read_text(errors="replace")
                    raise AssertionError(f"serve exited {server.returncode}: {output[-3000:]}")
                try:
                    return (await http.get("/readyz")).status_code
                except httpx.TransportError:
                    return 0

            await wait_for(ready, lambda status: status == 200, timeout=90, interval=0.1)
            assert (await http.get("/threads/x")).status_code == 401
    finally:
        if server.returncode is None:
            server.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(server.wait(), timeout=20)
        log.close()
    # uvicorn shuts down gracefully, then re-raises SIGTERM so the exit shows the signal.
    assert code in (0, -signal.SIGTERM)
