"""Latency of an MCP tool call made from ``on_message``, end to end at the client.

Starts a local stack with ``examples/mcp_agent.py``, connects the test suite's stdio
MCP server (``tests/support/mcp_server.py``) and sends, one at a time, a message that
calls its no-op ``echo`` tool and one that calls no tool; prints p50/p99 of both.
Needs Redis (``--redis``). ``uv run python -m bench.mcp_tool_latency``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from switchboard.stack import LocalStack
from tests.support.client import ChainlitClient

REPO = Path(__file__).resolve().parents[1]
# One client sends as fast as replies come: the per-user and per-socket limits are off.
UNLIMITED = {
    "SWITCHBOARD_USER_MESSAGES_PER_MINUTE": "0",
    "SWITCHBOARD_EVENT_LIMITS": json.dumps(
        {"client_message": {"max_bytes": 0, "per_second": 1000, "burst": 1000}}
    ),
}


def _p(values: list[float], percent: int) -> float:
    return statistics.quantiles(values, n=100)[percent - 1]


async def run(redis_url: str, calls: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="mcp-bench-"))
    config = tmp / "config.toml"
    config.write_text(
        "[features.mcp]\nenabled = true\n"
        f'[features.mcp.stdio]\nallowed_executables = ["{sys.executable}"]\n'
    )
    stack = LocalStack(
        app=REPO / "examples" / "mcp_agent.py",
        redis_url=redis_url,
        redis_prefix=f"bench-{uuid.uuid4().hex[:8]}",
        database_url=f"sqlite+aiosqlite:///{tmp / 'db.sqlite'}",
        config_file=config,
        extra_env=UNLIMITED,
        log_dir=tmp / "logs",
        storage_dir=tmp / "files",
    ).start()
    client = ChainlitClient(stack.url)
    try:
        await client.start()
        await client.wait_for("new_message", lambda m: "Connect" in m["output"])
        async with httpx.AsyncClient(base_url=stack.url, timeout=60) as http:
            server = REPO / "tests" / "support" / "mcp_server.py"
            body = {
                "sessionId": client.session_id,
                "clientType": "stdio",
                "name": "bench",
                "fullCommand": f"{sys.executable} {server} stdio",
            }
            connected = await http.post("/mcp", json=body)
            connected.raise_for_status()

        async def timed(text: str) -> float:
            since = len(client.events)
            started = time.perf_counter()
            await client.send(text)
            await client.wait_for(
                "new_message", lambda m: m.get("type") == "assistant_message", since=since
            )
            return (time.perf_counter() - started) * 1000

        for _ in range(20):  # warm up both paths
            await timed('echo {"text": "x"}')
            await timed("nope {}")
        tool: list[float] = []
        plain: list[float] = []
        for _ in range(calls):
            tool.append(await timed('echo {"text": "x"}'))
            plain.append(await timed("nope {}"))
        for label, values in (("tool call", tool), ("no tool", plain)):
            print(
                f"{label:10} p50 {statistics.median(values):6.1f} ms"
                f"  p99 {_p(values, 99):6.1f} ms  ({len(values)} messages)"
            )
    finally:
        await client.close()
        stack.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    asyncio.run(run(args.redis, args.calls))


if __name__ == "__main__":
    main()
