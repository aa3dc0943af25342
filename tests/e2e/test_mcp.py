"""MCP servers connected per session, end to end, against real MCP servers.

The servers are ``tests/support/mcp_server.py`` (built with the ``mcp`` package):
one run over stdio by the worker, one over streamable HTTP on a free local port.
The app (``tests/apps/mcp_app.py``) lists tools in ``on_mcp_connect`` and calls them
from ``on_message``. Requests are Chainlit's ``POST``/``DELETE /mcp`` over HTTP,
messages go over Socket.IO, as Chainlit's UI sends them.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis

from switchboard.names import RedisNames
from switchboard.stack import LocalStack, free_port
from tests.support.client import ChainlitClient
from tests.support.fixtures import EXAMPLES, REPO, TEST_APPS, StackFactory
from tests.support.signin import header_sign_in

SECRET = "mcp-test-secret-" + "m" * 40
SERVER = REPO / "tests" / "support" / "mcp_server.py"
STDIO_COMMAND = f"{sys.executable} {SERVER} stdio"
CONFIG = """
[features.mcp]
enabled = true

[features.mcp.stdio]
allowed_executables = ["{python}"]
"""
LIMITS = {
    "CHAINLIT_AUTH_SECRET": SECRET,
    "SWITCHBOARD_MCP_CALL_TIMEOUT": "3",
    "SWITCHBOARD_MCP_MAX_RESULT_BYTES": "20000",
}
TOOLS = ["add", "big", "echo", "env", "slow", "whoami"]


@dataclass
class User:
    name: str
    http: httpx.AsyncClient
    client: ChainlitClient


def _serve(transport: str, path: str) -> Iterator[str]:
    """The test MCP server over HTTP (``transport``) on a free port; its endpoint URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(SERVER), transport, str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            assert process.poll() is None, "the MCP test server exited at start"
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                assert time.monotonic() < deadline, "the MCP test server never listened"
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}{path}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def http_server() -> Iterator[str]:
    yield from _serve("streamable-http", "/mcp")


@pytest.fixture
def sse_server() -> Iterator[str]:
    yield from _serve("sse", "/sse")


def _config(tmp_path: Path, text: str = CONFIG) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(text.replace("{python}", sys.executable))
    return config


async def _sign_in(stack: LocalStack, name: str, client_factory: Any) -> User:
    http = httpx.AsyncClient(base_url=stack.url, timeout=60)
    cookie = await header_sign_in(http, name)
    client: ChainlitClient = client_factory(stack.url, headers={"Cookie": f"access_token={cookie}"})
    await client.start()
    # The gateway answers connection_successful itself; what the test sends comes after.
    await client.wait_for("clear_call_fn", timeout=15)
    return User(name, http, client)


@pytest.fixture
async def alice(
    make_stack: StackFactory, tmp_path: Path, client_factory: Any
) -> AsyncIterator[User]:
    stack = make_stack(TEST_APPS / "mcp_app.py", config_file=_config(tmp_path), extra_env=LIMITS)
    user = await _sign_in(stack, "alice", client_factory)
    yield user
    await user.http.aclose()


async def _ask(user: User, text: str, timeout: float = 30) -> str:
    """Send a message; the text of the app's answer to it."""
    since = len(user.client.events)
    await user.client.send(text)
    reply = await user.client.wait_for(
        "new_message",
        lambda m: m.get("type") == "assistant_message" and m.get("name") != "MCP",
        since=since,
        timeout=timeout,
    )
    return str(reply.data["output"])


async def _connect_stdio(user: User, name: str = "local", **extra: Any) -> httpx.Response:
    body = {
        "sessionId": user.client.session_id,
        "clientType": "stdio",
        "name": name,
        "fullCommand": f"MCP_TEST_TOKEN=stdio-secret {STDIO_COMMAND}",
        **extra,
    }
    return await user.http.post("/mcp", json=body)


async def test_stdio_server_connects_lists_tools_and_runs_a_tool_from_a_message(
    alice: User,
) -> None:
    got = await _connect_stdio(alice)
    assert got.status_code == 200, got.text
    mcp = got.json()["mcp"]
    assert got.json()["success"] is True
    assert mcp["name"] == "local" and mcp["clientType"] == "stdio"
    assert sorted(tool["name"] for tool in mcp["tools"]) == TOOLS
    assert "stdio-secret" not in got.text  # env values are never answered

    listed = json.loads(await _ask(alice, "tools"))
    assert listed == {"tools": {"local": TOOLS}, "held": ["local"], "connects": 1}

    since = len(alice.client.events)
    assert await _ask(alice, 'call local add {"a": 2, "b": 40}') == "result: 42"
    tool_step = await alice.client.wait_for(
        "update_message", lambda m: m.get("type") == "tool" and m.get("name") == "add", since=since
    )
    assert tool_step.data["output"] == "42"
    # The inline KEY=value of fullCommand reached the child's environment.
    assert await _ask(alice, 'call local env {"name": "MCP_TEST_TOKEN"}') == "result: stdio-secret"


async def test_http_server_gets_its_headers_and_limits_hold(alice: User, http_server: str) -> None:
    body = {
        "sessionId": alice.client.session_id,
        "clientType": "streamable-http",
        "name": "remote",
        "url": http_server,
        "headers": {"Authorization": "Bearer http-secret"},
    }
    got = await alice.http.post("/mcp", json=body)
    assert got.status_code == 200, got.text
    assert sorted(tool["name"] for tool in got.json()["mcp"]["tools"]) == TOOLS
    assert "http-secret" not in got.text
    assert await _ask(alice, "call remote whoami") == "result: Bearer http-secret"
    assert await _ask(alice, 'call remote echo {"text": "hi"}') == "result: hi"
    # Per-result size limit (20,000 bytes here) and per-call time limit (3 s here).
    too_big = await _ask(alice, 'call remote big {"size": 50000}')
    assert too_big.startswith("error: ") and "over this server's limit" in too_big
    started = time.monotonic()
    late = await _ask(alice, 'call remote slow {"seconds": 30}')
    assert late.startswith("failed: ") and time.monotonic() - started < 20
    # The connection is still usable after a call timed out.
    assert await _ask(alice, 'call remote add {"a": 1, "b": 1}') == "result: 2"


async def test_sse_server_gets_its_headers(alice: User, sse_server: str) -> None:
    body = {
        "sessionId": alice.client.session_id,
        "clientType": "sse",
        "name": "events",
        "url": sse_server,
        "headers": {"Authorization": "Bearer sse-secret"},
    }
    got = await alice.http.post("/mcp", json=body)
    assert got.status_code == 200, got.text
    assert got.json()["mcp"]["clientType"] == "sse" and "sse-secret" not in got.text
    assert sorted(tool["name"] for tool in got.json()["mcp"]["tools"]) == TOOLS
    assert await _ask(alice, "call events whoami") == "result: Bearer sse-secret"
    assert await _ask(alice, 'call events add {"a": 20, "b": 22}') == "result: 42"


async def test_stop_cancels_a_running_tool_call_and_the_server_stays_usable(
    alice: User,
) -> None:
    assert (await _connect_stdio(alice)).status_code == 200
    since = len(alice.client.events)
    await alice.client.send('call local slow {"seconds": 2.5}')
    await alice.client.wait_for(
        "new_message", lambda m: m.get("type") == "tool" and m.get("name") == "slow", since=since
    )
    started = time.monotonic()
    await alice.client.emit("stop")
    stopped = await alice.client.wait_for(
        "new_message", lambda m: m.get("output") == "Task manually stopped.", since=since
    )
    assert stopped.data["name"] and time.monotonic() - started < 2
    assert await _ask(alice, 'call local echo {"text": "still here"}') == "result: still here"


async def test_delete_calls_on_mcp_disconnect_and_closes_the_server(alice: User) -> None:
    assert (await _connect_stdio(alice)).status_code == 200
    gone = await alice.http.request(
        "DELETE", "/mcp", json={"sessionId": alice.client.session_id, "name": "local"}
    )
    assert (gone.status_code, gone.json()) == (200, {"success": True})
    listed = json.loads(await _ask(alice, "tools"))
    assert listed == {"tools": {}, "held": [], "connects": 1}
    again = await alice.http.request(
        "DELETE", "/mcp", json={"sessionId": alice.client.session_id, "name": "local"}
    )
    assert again.status_code == 404


async def test_disallowed_executable_is_refused(alice: User) -> None:
    body = {
        "sessionId": alice.client.session_id,
        "clientType": "stdio",
        "name": "shell",
        "fullCommand": "sh -c 'echo owned'",
    }
    got = await alice.http.post("/mcp", json=body)
    assert got.status_code == 400
    assert "'sh' is not allowed" in got.json()["detail"]
    assert "allowed_executables" in got.json()["detail"]
    # A path that only ends like an allowed one is not allowed either.
    body["fullCommand"] = f"./{Path(sys.executable).name} -V"
    assert (await alice.http.post("/mcp", json=body)).status_code == 400
    listed = json.loads(await _ask(alice, "tools"))
    assert listed["held"] == [] and listed["connects"] == 0


async def test_the_worker_checks_the_executable_again(
    make_stack: StackFactory, tmp_path: Path, client_factory: Any
) -> None:
    """A worker whose config allows no executable refuses what the gateway let through."""
    stack = make_stack(
        TEST_APPS / "mcp_app.py", config_file=_config(tmp_path), extra_env=LIMITS, workers=0
    )
    strict = tmp_path / "worker.toml"
    strict.write_text("[features.mcp]\nenabled = true\n")
    stack.start_worker(0, env={"SWITCHBOARD_CONFIG_FILE": str(strict)})
    alice = await _sign_in(stack, "alice", client_factory)
    try:
        got = await _connect_stdio(alice)
        assert got.status_code == 400, got.text
        assert "is not allowed for stdio MCP servers" in got.json()["detail"]
        assert json.loads(await _ask(alice, "tools"))["connects"] == 0
    finally:
        await alice.http.aclose()


async def test_another_users_session_is_refused(
    make_stack: StackFactory, tmp_path: Path, client_factory: Any
) -> None:
    stack = make_stack(TEST_APPS / "mcp_app.py", config_file=_config(tmp_path), extra_env=LIMITS)
    alice = await _sign_in(stack, "alice", client_factory)
    bob = await _sign_in(stack, "bob", client_factory)
    try:
        body = {
            "sessionId": alice.client.session_id,
            "clientType": "stdio",
            "name": "local",
            "fullCommand": STDIO_COMMAND,
        }
        stolen = await bob.http.post("/mcp", json=body)
        assert (stolen.status_code, stolen.json()) == (401, {"detail": "Unauthorized"})
        assert (await _connect_stdio(alice)).status_code == 200
        removed = await bob.http.request(
            "DELETE", "/mcp", json={"sessionId": alice.client.session_id, "name": "local"}
        )
        assert removed.status_code == 401
        # Alice's server is untouched; bob's own session has none.
        assert json.loads(await _ask(alice, "tools"))["held"] == ["local"]
        assert json.loads(await _ask(bob, "tools"))["held"] == []
        async with httpx.AsyncClient(base_url=stack.url) as visitor:
            assert (await visitor.post("/mcp", json=body)).status_code == 401
    finally:
        await alice.http.aclose()
        await bob.http.aclose()


async def test_disabled_feature_is_refused(
    make_stack: StackFactory, tmp_path: Path, client_factory: Any
) -> None:
    config = _config(tmp_path, "[features.mcp]\nenabled = false\n")
    stack = make_stack(TEST_APPS / "mcp_app.py", config_file=config, extra_env=LIMITS)
    alice = await _sign_in(stack, "alice", client_factory)
    try:
        got = await _connect_stdio(alice)
        assert (got.status_code, got.json()) == (400, {"detail": "This app does not support MCP."})
        body = {"sessionId": alice.client.session_id, "name": "local"}
        gone = await alice.http.request("DELETE", "/mcp", json=body)
        assert gone.status_code == 400
    finally:
        await alice.http.aclose()


async def test_a_drained_worker_hands_the_servers_to_the_next_one(
    make_stack: StackFactory, tmp_path: Path, client_factory: Any
) -> None:
    stack = make_stack(TEST_APPS / "mcp_app.py", config_file=_config(tmp_path), extra_env=LIMITS)
    alice = await _sign_in(stack, "alice", client_factory)
    try:
        assert (await _connect_stdio(alice)).status_code == 200
        assert await _ask(alice, 'call local add {"a": 1, "b": 2}') == "result: 3"
        stack.replace_workers()  # SIGTERM: the old worker closes its servers and leaves
        since = len(alice.client.events)
        assert await _ask(alice, 'call local add {"a": 2, "b": 3}', timeout=60) == "result: 5"
        told = await alice.client.wait_for(
            "new_message", lambda m: m.get("name") == "MCP", since=since
        )
        assert "reconnected: local" in told.data["output"]
        listed = json.loads(await _ask(alice, "tools"))
        assert listed == {"tools": {"local": TOOLS}, "held": ["local"], "connects": 2}
    finally:
        await alice.http.aclose()


async def test_a_killed_worker_hands_the_servers_to_the_next_one(
    make_stack: StackFactory, tmp_path: Path, client_factory: Any
) -> None:
    stack = make_stack(
        TEST_APPS / "mcp_app.py", config_file=_config(tmp_path), extra_env=LIMITS, workers=2
    )
    alice = await _sign_in(stack, "alice", client_factory)
    try:
        assert (await _connect_stdio(alice)).status_code == 200
        # Affinity: with two workers, every message runs where the servers are.
        for n in range(4):
            assert await _ask(alice, f'call local add {{"a": {n}, "b": 1}}') == f"result: {n + 1}"
        assert json.loads(await _ask(alice, "tools"))["connects"] == 1
        holder = await _holder(stack, alice.client.session_id)
        stack.kill(holder)
        assert await _ask(alice, 'call local add {"a": 5, "b": 5}', timeout=60) == "result: 10"
        listed = json.loads(await _ask(alice, "tools"))
        assert listed["held"] == ["local"] and listed["connects"] == 2
    finally:
        await alice.http.aclose()


async def _holder(stack: LocalStack, session_id: str) -> str:
    """The stack's process name of the worker holding the session's MCP servers."""
    redis = aioredis.Redis.from_url(stack.redis_url)
    try:
        worker_id = await redis.get(RedisNames(stack.redis_prefix).mcp_holder(session_id))
    finally:
        await redis.aclose()
    assert worker_id, "no worker holds the session's MCP servers"
    pid = int(worker_id.decode().split("-")[-2])
    for name, process in stack.processes.items():
        if name.startswith("worker-") and process.pid == pid:
            return name
    raise AssertionError(f"holder {worker_id!r} is none of the stack's workers")


async def test_settings_show_the_mcp_section_with_chainlits_keys(alice: User) -> None:
    settings = (await alice.http.get("/project/settings")).json()
    mcp = settings["features"]["mcp"]
    assert mcp["enabled"] is True
    assert mcp["stdio"]["enabled"] is True and mcp["streamable-http"]["enabled"] is True
    assert mcp["sse"]["enabled"] is True


async def test_the_mcp_agent_example_lists_and_calls_tools(
    make_stack: StackFactory, tmp_path: Path, client_factory: Any
) -> None:
    """``examples/mcp_agent.py`` runs offline against the test server, anonymously."""
    stack = make_stack(EXAMPLES / "mcp_agent.py", config_file=_config(tmp_path))
    client: ChainlitClient = client_factory(stack.url)
    await client.start()
    await client.wait_for("new_message", lambda m: "Connect an MCP server" in m["output"])
    async with httpx.AsyncClient(base_url=stack.url, timeout=60) as http:
        user = User("visitor", http, client)
        assert (await _connect_stdio(user, "tests")).status_code == 200
        listed = await _ask(user, "tools")
        assert "`tests.add`: Add two integers." in listed
        assert await _ask(user, 'add {"a": 19, "b": 23}') == "42"
        assert "No connected server" in await _ask(user, "nope {}")
