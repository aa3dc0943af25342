"""The compose services' own commands and environments, run as local processes, carry a
conversation end to end: two gateways and two workers, as `--scale gateway=2 worker=2`."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from tests.deploy.compose_processes import INFRASTRUCTURE, ComposeProcesses
from tests.deploy.support import ENV_EXAMPLE, load_compose, read_env_file
from tests.support.client import ChainlitClient
from tests.support.fixtures import REPO

GREETING = "Hello! I am the Switchboard demo. Say something."


@pytest.fixture
def second_database(postgres_url: str) -> Iterator[str]:
    """Another fresh database on the test server (compose gives auth its own)."""
    root, _, _ = postgres_url.rpartition("/")
    name = f"sbtest_auth_{uuid.uuid4().hex[:10]}"
    admin = postgres_url.replace("postgresql+asyncpg://", "postgresql://")

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    yield f"{root}/{name}"
    asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def compose_stack(
    redis_url: str,
    redis_prefix: str,
    postgres_url: str,
    second_database: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> Iterator[ComposeProcesses]:
    compose = load_compose(read_env_file(ENV_EXAMPLE))
    assert set(compose["services"]) - set(INFRASTRUCTURE) == {
        "migrate",
        "auth-migrate",
        "persistence",
        "auth",
        "sessions",
        "gateway",
        "worker",
        "exporter",
    }, "a compose service was added or removed: say here how the test runs it"
    stack = ComposeProcesses(
        compose,
        redis_url=redis_url,
        redis_prefix=redis_prefix,
        databases={"switchboard": postgres_url, "switchboard_auth": second_database},
        workdir=tmp_path,
        scale={"gateway": 2, "worker": 2},
    )
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()
        report = getattr(request.node, "rep_call", None)
        if report is None or report.failed:
            print(stack.log_tails())


async def _conversation(url: str, text: str) -> tuple[ChainlitClient, str]:
    client = ChainlitClient(url)
    await client.start()
    greeting = await client.wait_for(
        "new_message", lambda m: m.get("output") == GREETING, timeout=20
    )
    await client.wait_for("task_end", since=client.events.index(greeting), timeout=10)
    mark = len(client.events)
    await client.send(text)
    answer = await client.wait_for(
        "new_message",
        lambda m: (m.get("output") or "").startswith(f"You said: {text}"),
        since=mark,
        timeout=20,
    )
    assert "words" in answer.data["output"]
    await client.wait_for("task_end", since=mark, timeout=10)
    interaction = await client.wait_for("first_interaction", since=mark)
    return client, str(interaction.data["thread_id"])


async def _stored_thread(url: str, thread_id: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=url) as http:
        deadline = asyncio.get_running_loop().time() + 20
        last: Any = None
        while asyncio.get_running_loop().time() < deadline:
            response = await http.get(f"/project/thread/{thread_id}")
            if response.status_code == 200:
                last = response.json()
                outputs = [step.get("output") or "" for step in last["steps"]]
                if any(o.startswith("You said:") for o in outputs):
                    return dict(last)
            await asyncio.sleep(0.25)
    raise AssertionError(f"thread {thread_id} not stored after 20 s: {last}")


@pytest.mark.timeout(300)
async def test_compose_services_carry_a_conversation(compose_stack: ComposeProcesses) -> None:
    first, second = compose_stack.url("gateway", 0), compose_stack.url("gateway", 1)
    clients: list[ChainlitClient] = []
    try:
        for url, text in ((first, "hello from gateway one"), (second, "and from gateway two")):
            client, thread_id = await _conversation(url, text)
            clients.append(client)
            # Stored through the persistence service, read back through the other gateway.
            other = second if url == first else first
            thread = await _stored_thread(other, thread_id)
            assert thread["name"] == text
    finally:
        for client in clients:
            await client.close()

    async with httpx.AsyncClient() as http:
        metrics = (await http.get(f"{compose_stack.url('exporter')}/metrics")).text
        assert "switchboard_queue_depth" in metrics
        # Both workers beat their own keys (the second may not have beaten yet).
        deadline = asyncio.get_running_loop().time() + 15
        while "switchboard_worker_heartbeat 2.0" not in metrics:
            assert asyncio.get_running_loop().time() < deadline, metrics
            await asyncio.sleep(0.5)
            metrics = (await http.get(f"{compose_stack.url('exporter')}/metrics")).text
        for service in ("sessions", "auth", "persistence"):
            ready = await http.get(f"{compose_stack.url(service)}/readyz")
            assert ready.status_code == 200, (service, ready.text)
        # A gateway answers readiness and metrics on its operations port, not its public one.
        for index in range(2):
            ops = compose_stack.url("gateway", index, exposed="8090")
            assert (await http.get(f"{ops}/readyz")).status_code == 200
            assert "switchboard_gateway" in (await http.get(f"{ops}/metrics")).text
            public = compose_stack.url("gateway", index)
            assert (await http.get(f"{public}/readyz")).status_code == 404
            # The public/ folder its image carries is served at /public/...
            counter = await http.get(f"{public}/public/elements/Counter.jsx")
            assert counter.status_code == 200
            assert counter.content == (REPO / "examples/public/elements/Counter.jsx").read_bytes()
