"""MCP beyond the per-request flow: secrets sealed in Redis, configured servers opened
at chat start, and the URL allow-list for user-supplied servers.

Same real MCP test server and test app as ``test_mcp.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import redis.asyncio as aioredis

from switchboard.names import RedisNames
from switchboard.sealing import SecretSealer
from switchboard.session_state import SessionField
from switchboard.stack import LocalStack
from tests.e2e.test_mcp import (
    CONFIG,
    SECRET,
    STDIO_COMMAND,
    TOOLS,
    User,
    _ask,
    _config,
    _sign_in,
    http_server,  # noqa: F401  (the fixture)
)
from tests.support.client import ChainlitClient, chainlit_auth
from tests.support.fixtures import EXAMPLES, TEST_APPS, StackFactory
from tests.support.signin import header_sign_in

# Header login, and the default MCP time limits (test_mcp's 3 s call limit is for the
# limit tests; a loaded machine starts a stdio server slower than that).
ENV = {"CHAINLIT_AUTH_SECRET": SECRET}


async def _everything_in_redis(stack: LocalStack) -> bytes:
    """Every key and value under the stack's prefix, as one blob of bytes."""
    redis = aioredis.Redis.from_url(stack.redis_url)
    dump: list[bytes] = []
    try:
        async for key in redis.scan_iter(match=f"{stack.redis_prefix}*"):
            kind = (await redis.type(key)).decode()
            dump.append(key)
            if kind == "string":
                dump.append(await redis.get(key) or b"")
            elif kind == "hash":
                for field, value in (await redis.hgetall(key)).items():
                    dump += [field, value]
            elif kind == "list":
                dump += await redis.lrange(key, 0, -1)
            elif kind == "set":
                dump += list(await redis.smembers(key))
            elif kind == "zset":
                dump += list(await redis.zrange(key, 0, -1))
            elif kind == "stream":
                for _, fields in await redis.xrange(key):
                    for field, value in fields.items():
                        dump += [field, value]
    finally:
        await redis.aclose()
    return b"\n".join(dump)


async def test_secrets_are_sealed_in_redis_and_the_next_worker_still_opens_them(
    make_stack: StackFactory,
    tmp_path: Path,
    client_factory: Any,
    http_server: str,  # noqa: F811
) -> None:
    stack = make_stack(TEST_APPS / "mcp_app.py", config_file=_config(tmp_path), extra_env=ENV)
    alice = await _sign_in(stack, "alice", client_factory)
    try:
        sid = alice.client.session_id
        stdio = {
            "sessionId": sid,
            "clientType": "stdio",
            "name": "local",
            "fullCommand": STDIO_COMMAND,
            "env": {"MCP_TEST_TOKEN": "env-value-sealed-1"},
        }
        remote = {
            "sessionId": sid,
            "clientType": "streamable-http",
            "name": "remote",
            "url": http_server,
            "headers": {"Authorization": "Bearer header-value-sealed-2"},
        }
        for body in (stdio, remote):
            got = await alice.http.post("/mcp", json=body)
            assert got.status_code == 200, got.text
        # Before any tool echoes a secret into a reply (the test server's whoami does).
        assert await _ask(alice, 'call remote add {"a": 1, "b": 1}') == "result: 2"
        stored = await _everything_in_redis(stack)
        assert b"remote" in stored and b"local" in stored  # the specs are there ...
        assert b"header-value-sealed-2" not in stored  # ... their values are not
        assert b"env-value-sealed-1" not in stored
        assert b"Authorization" in stored  # names stay readable

        # A UI that rejoins the session lists its servers, tools included, values not.
        got = await alice.http.get("/mcp", params={"sessionId": sid})
        assert got.status_code == 200, got.text
        servers = {server["name"]: server for server in got.json()["servers"]}
        assert servers["remote"]["url"] == http_server
        assert servers["remote"]["clientType"] == "streamable-http"
        assert servers["local"]["command"] == STDIO_COMMAND
        assert servers["local"]["isUserProvided"] is True
        assert sorted(t["name"] for t in servers["local"]["tools"]) == TOOLS
        assert sorted(t["name"] for t in servers["remote"]["tools"]) == TOOLS
        assert "sealed-" not in got.text and "Authorization" not in got.text

        # A new worker reads the sealed specs and opens both servers with their secrets.
        stack.replace_workers()
        assert (
            await _ask(alice, "call remote whoami", timeout=60)
            == "result: Bearer header-value-sealed-2"
        )
        assert (
            await _ask(alice, 'call local env {"name": "MCP_TEST_TOKEN"}')
            == "result: env-value-sealed-1"
        )
        listed = json.loads(await _ask(alice, "tools"))
        assert listed["held"] == ["local", "remote"] and listed["connects"] == 4
        redis = aioredis.Redis.from_url(stack.redis_url)
        try:
            resaved = await redis.hget(
                RedisNames(stack.redis_prefix).session(sid), SessionField.MCP
            )
        finally:
            await redis.aclose()
        assert resaved and b"remote" in resaved and b"header-value-sealed-2" not in resaved
    finally:
        await alice.http.aclose()


async def test_configured_servers_open_at_chat_start_and_keep_their_secrets(
    make_stack: StackFactory,
    tmp_path: Path,
    client_factory: Any,
    http_server: str,  # noqa: F811
) -> None:
    config = (
        CONFIG
        + f"""
[[features.mcp.servers]]
name = "Configured"
type = "streamable-http"
url = "{http_server}"
headers = {{ Authorization = "Bearer operator-secret" }}
"""
    )
    stack = make_stack(
        TEST_APPS / "mcp_app.py", config_file=_config(tmp_path, config), extra_env=ENV
    )
    alice = await _sign_in(stack, "alice", client_factory)
    try:
        listed = json.loads(await _ask(alice, "tools"))
        assert listed == {"tools": {"Configured": TOOLS}, "held": ["Configured"], "connects": 1}
        assert await _ask(alice, "call Configured whoami") == "result: Bearer operator-secret"

        # The UI shows configured servers by name and type only.
        listed_here = (
            await alice.http.get("/mcp", params={"sessionId": alice.client.session_id})
        ).json()["servers"]
        assert listed_here == [
            {
                "name": "Configured",
                "clientType": "streamable-http",
                "type": "streamable-http",
                "isUserProvided": False,
                "tools": [{"name": name} for name in TOOLS],
            }
        ]
        shown = (await alice.http.get("/project/settings")).json()["features"]["mcp"]
        assert shown["servers"] == [{"name": "Configured", "type": "streamable-http"}]
        settings_text = json.dumps(shown)
        assert "operator-secret" not in settings_text and http_server not in settings_text

        # Chainlit 2.12's {sessionId, name}: the open server answers its tools, not reopened.
        got = await alice.http.post(
            "/mcp", json={"sessionId": alice.client.session_id, "name": "configured"}
        )
        assert got.status_code == 200, got.text
        assert sorted(t["name"] for t in got.json()["mcp"]["tools"]) == TOOLS
        assert "operator-secret" not in got.text and http_server not in got.text
        assert got.json()["mcp"]["isUserProvided"] is False
        assert json.loads(await _ask(alice, "tools"))["connects"] == 1

        # A user server may not take its name; an unknown name is refused.
        taken = await alice.http.post(
            "/mcp",
            json={
                "sessionId": alice.client.session_id,
                "name": "configured",
                "clientType": "streamable-http",
                "url": http_server,
            },
        )
        assert taken.status_code == 400 and "configured MCP server" in taken.json()["detail"]
        unknown = await alice.http.post(
            "/mcp", json={"sessionId": alice.client.session_id, "name": "elsewhere"}
        )
        assert unknown.status_code == 400 and "elsewhere" in unknown.json()["detail"]
    finally:
        await alice.http.aclose()


async def test_user_urls_outside_the_allow_list_are_refused(
    make_stack: StackFactory,
    tmp_path: Path,
    client_factory: Any,
    http_server: str,  # noqa: F811
) -> None:
    config = (
        CONFIG
        + f"""
[features.mcp.user_servers]
enabled = true
allowed_urls = ["{http_server}"]
"""
    )
    stack = make_stack(
        TEST_APPS / "mcp_app.py", config_file=_config(tmp_path, config), extra_env=ENV
    )
    alice = await _sign_in(stack, "alice", client_factory)
    try:
        body = {"sessionId": alice.client.session_id, "clientType": "streamable-http"}
        elsewhere = http_server.rsplit("/", 1)[0] + "/other"
        for url in (elsewhere, "http://169.254.169.254/latest/meta-data", http_server + "x"):
            got = await alice.http.post("/mcp", json={**body, "name": "bad", "url": url})
            assert got.status_code == 400, url
            assert "features.mcp.user_servers.allowed_urls" in got.json()["detail"]
        got = await alice.http.post("/mcp", json={**body, "name": "good", "url": http_server})
        assert got.status_code == 200, got.text
        assert await _ask(alice, 'call good add {"a": 40, "b": 2}') == "result: 42"
        assert json.loads(await _ask(alice, "tools"))["held"] == ["good"]
    finally:
        await alice.http.aclose()


async def test_a_chat_profiles_mcp_overrides_are_judged_at_the_gateway(
    make_stack: StackFactory, tmp_path: Path, client_factory: Any
) -> None:
    stack = make_stack(
        TEST_APPS / "mcp_profiles_app.py", config_file=_config(tmp_path), extra_env=ENV
    )
    http = httpx.AsyncClient(base_url=stack.url, timeout=60)
    try:
        cookie = await header_sign_in(http, "alice")
        stdio = {"clientType": "stdio", "name": "local", "fullCommand": STDIO_COMMAND}
        answers: dict[str, httpx.Response] = {}
        for profile in ("open", "no-stdio", "no-mcp"):
            client = client_factory(
                stack.url,
                headers={"Cookie": f"access_token={cookie}"},
                auth=chainlit_auth(chatProfile=profile),
            )
            await client.start()
            await client.wait_for("clear_call_fn", timeout=15)
            answers[profile] = await http.post(
                "/mcp", json={**stdio, "sessionId": client.session_id}
            )
        assert answers["open"].status_code == 200, answers["open"].text
        assert answers["no-stdio"].status_code == 400
        assert answers["no-stdio"].json()["detail"] == "stdio MCP servers are disabled in this app."
        assert answers["no-mcp"].status_code == 400
        assert answers["no-mcp"].json()["detail"] == "This app does not support MCP."
        # The settings the UI reads for that profile say the same.
        shown = (await http.get("/project/settings", params={"chat_profile": "no-mcp"})).json()
        assert shown["features"]["mcp"]["enabled"] is False
    finally:
        await http.aclose()


async def test_the_mcp_agent_example_starts_with_a_configured_stdio_server(
    make_stack: StackFactory, tmp_path: Path, client_factory: Any
) -> None:
    """No executable is allowed to users; the operator's configured command still runs."""
    config = f"""
[features.mcp]
enabled = true

[[features.mcp.servers]]
name = "tests"
type = "stdio"
command = "{STDIO_COMMAND}"
env = {{ MCP_TEST_TOKEN = "configured-env" }}
"""
    stack = make_stack(EXAMPLES / "mcp_agent.py", config_file=_config(tmp_path, config))
    client: ChainlitClient = client_factory(stack.url)
    await client.start()
    await client.wait_for("new_message", lambda m: "Connect an MCP server" in m["output"])
    async with httpx.AsyncClient(base_url=stack.url, timeout=60) as http:
        user = User("visitor", http, client)
        assert "`tests.add`: Add two integers." in await _ask(user, "tools")
        assert await _ask(user, 'add {"a": 19, "b": 23}') == "42"
        assert await _ask(user, 'env {"name": "MCP_TEST_TOKEN"}') == "configured-env"
        refused = await http.post(
            "/mcp",
            json={
                "sessionId": client.session_id,
                "clientType": "stdio",
                "name": "mine",
                "fullCommand": STDIO_COMMAND,
            },
        )
        assert refused.status_code == 400 and "is not allowed" in refused.json()["detail"]


async def test_a_spec_sealed_with_another_secret_is_dropped_and_the_user_told(
    make_stack: StackFactory,
    tmp_path: Path,
    client_factory: Any,
    http_server: str,  # noqa: F811
) -> None:
    """As after a change of SWITCHBOARD_SERVICE_SECRET: the stored value cannot be opened."""
    stack = make_stack(TEST_APPS / "mcp_app.py", config_file=_config(tmp_path), extra_env=ENV)
    alice = await _sign_in(stack, "alice", client_factory)
    try:
        sid = alice.client.session_id
        remote = {
            "sessionId": sid,
            "clientType": "streamable-http",
            "name": "remote",
            "url": http_server,
            "headers": {"Authorization": "Bearer rotated-away"},
        }
        assert (await alice.http.post("/mcp", json=remote)).status_code == 200
        redis = aioredis.Redis.from_url(stack.redis_url)
        key = RedisNames(stack.redis_prefix).session(sid)
        try:
            stored = json.loads(await redis.hget(key, SessionField.MCP) or b"{}")
            other = SecretSealer("another-service-secret-" + "x" * 40)
            stored["remote"]["connection"]["headers"]["Authorization"] = other.seal("Bearer x")
            await redis.hset(key, SessionField.MCP, json.dumps(stored))
        finally:
            await redis.aclose()
        since = len(alice.client.events)
        listed = json.loads(await _ask(alice, "tools"))
        assert listed["held"] == []
        told = await alice.client.wait_for(
            "new_message", lambda m: m.get("name") == "MCP", since=since
        )
        assert "remote" in told.data["output"] and "Connect them again" in told.data["output"]
        assert "Bearer" not in told.data["output"]
        got = await alice.http.get("/mcp", params={"sessionId": sid})
        assert got.json() == {"servers": []}
    finally:
        await alice.http.aclose()
