"""Message latency and throughput with N concurrent Chainlit-protocol sessions.

Starts a local stack (its own Redis, SQLite unless --database-url) with the
instant-streaming app, connects N sessions, and has each send --messages
messages one after another. Reports client_message -> first stream_token and
-> task_end percentiles, and messages per second, measured in one run.

    uv run python bench/latency.py --sessions 1 --sessions 50
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import socketio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from switchboard.stack import LocalRedis, LocalStack

HERE = Path(__file__).resolve().parent


@dataclass
class Sample:
    first_token_ms: float
    task_end_ms: float


@dataclass
class Session:
    url: str
    samples: list[Sample] = field(default_factory=list)

    async def run(self, messages: int, ready: asyncio.Barrier) -> None:
        sio = socketio.AsyncClient(reconnection=False)
        first_token = asyncio.Event()
        done = asyncio.Event()

        @sio.on("stream_token")
        async def _token(data: Any, *_: Any) -> None:
            first_token.set()

        @sio.on("task_end")
        async def _end(data: Any = None, *_: Any) -> None:
            done.set()

        auth = {
            "sessionId": str(uuid.uuid4()),
            "clientType": "webapp",
            "threadId": "",
            "userEnv": "{}",
            "chatProfile": "",
        }
        await sio.connect(
            self.url, socketio_path="/ws/socket.io", auth=auth, transports=["websocket"]
        )
        await sio.emit("connection_successful")
        await asyncio.sleep(0.3)  # let connection_successful's task_end arrive first
        await ready.wait()
        for index in range(messages):
            first_token.clear()
            done.clear()
            payload = {
                "message": {
                    "id": str(uuid.uuid4()),
                    "threadId": "",
                    "name": "User",
                    "type": "user_message",
                    "output": f"message {index}",
                    "createdAt": "",
                },
                "fileReferences": [],
            }
            start = time.perf_counter()
            await sio.emit("client_message", payload)
            await asyncio.wait_for(first_token.wait(), 60)
            token_at = time.perf_counter()
            await asyncio.wait_for(done.wait(), 60)
            end_at = time.perf_counter()
            self.samples.append(Sample((token_at - start) * 1000, (end_at - start) * 1000))
        await sio.disconnect()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[rank]


async def measure(url: str, sessions: int, messages: int) -> dict[str, Any]:
    clients = [Session(url) for _ in range(sessions)]
    barrier = asyncio.Barrier(sessions + 1)
    tasks = [asyncio.create_task(c.run(messages, barrier)) for c in clients]
    await barrier.wait()
    started = time.perf_counter()
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    first = [s.first_token_ms for c in clients for s in c.samples]
    end = [s.task_end_ms for c in clients for s in c.samples]
    return {
        "sessions": sessions,
        "messages": len(end),
        "seconds": round(elapsed, 3),
        "messages_per_s": round(len(end) / elapsed, 1),
        "first_token_ms": {q: round(percentile(first, q), 2) for q in (50, 95, 99)},
        "task_end_ms": {q: round(percentile(end, q), 2) for q in (50, 95, 99)},
        "first_token_mean_ms": round(statistics.fmean(first), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, action="append", help="repeatable")
    parser.add_argument("--messages", type=int, default=20, help="per session")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--app", type=Path, default=HERE / "apps" / "instant.py")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--url", default=None, help="bench a running gateway instead")
    args = parser.parse_args()
    levels = args.sessions or [1, 50]

    redis = stack = None
    try:
        url = args.url
        if url is None:
            redis = LocalRedis().start()
            tmp = Path(tempfile.mkdtemp(prefix="switchboard-bench-"))
            stack = LocalStack(
                app=args.app.resolve(),
                redis_url=redis.url,
                database_url=args.database_url or f"sqlite+aiosqlite:///{tmp / 'bench.db'}",
                workers=args.workers,
                log_dir=tmp / "logs",
            ).start()
            url = stack.url
        for sessions in levels:
            asyncio.run(measure(url, min(sessions, 2), 3))  # warm up
            result = asyncio.run(measure(url, sessions, args.messages))
            result["workers"] = args.workers
            print(json.dumps(result), flush=True)
    finally:
        if stack is not None:
            stack.stop()
        if redis is not None:
            redis.stop()


if __name__ == "__main__":
    main()
