"""Persistence lag: how long after a step is produced it is committed in PostgreSQL.

Starts a local stack (its own Redis and, unless --database-url, its own
PostgreSQL cluster) with an app whose every message runs N tool steps, connects
--sessions Chainlit-protocol sessions and has each send --messages messages one
after another. A trigger on ``steps`` records when each row is written (inside
the consumer's committing transaction); the lag of a step is that time, for its
final output, minus the step's ``end`` (stamped by the worker just before the
step is emitted). Prints p50/p90/p99/max over every tool step, in one run.

    uv run python bench/persistence_lag.py --sessions 50
    uv run python bench/persistence_lag.py --sessions 50 --schema chainlit
    uv run python bench/persistence_lag.py --sessions 50 --schema app

``--schema chainlit`` runs the persistence service on a database holding Chainlit's
tables (``SWITCHBOARD_PERSISTENCE_SCHEMA=chainlit``); ``--schema app`` has the app's
``@cl.data_layer`` (Chainlit's ``SQLAlchemyDataLayer``, ``apps/steps_data_layer.py``)
write those tables (``SWITCHBOARD_PERSISTENCE_SCHEMA=app``). The same trigger measures both.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import socketio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from switchboard.stack import LocalRedis, LocalStack
from switchboard_persistence.stores.chainlit_schema import CHAINLIT_SCHEMA
from tests.support.postgres import LocalPostgres

HERE = Path(__file__).resolve().parent

# Every write of a step row, stamped with the database clock at the write.
_TRIGGER = """
CREATE TABLE IF NOT EXISTS bench_step_writes (
    step_id text NOT NULL, output text, at timestamptz NOT NULL
);
CREATE OR REPLACE FUNCTION bench_note_step_write() RETURNS trigger AS $$
BEGIN
    INSERT INTO bench_step_writes VALUES (NEW.id, NEW.output, clock_timestamp());
    RETURN NEW;
END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS bench_step_writes ON steps;
CREATE TRIGGER bench_step_writes AFTER INSERT OR UPDATE ON steps
    FOR EACH ROW EXECUTE FUNCTION bench_note_step_write();
"""

# The first write of each tool step's final output, with the step's end.
_LAGS = """
SELECT s."end", min(w.at) AS written
FROM steps s JOIN bench_step_writes w ON w.step_id = s.id::text AND w.output = s.output
WHERE s.type = 'tool' AND s.output LIKE '% done'
GROUP BY s.id, s."end"
"""


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def _session(url: str, messages: int, steps: int, ready: asyncio.Barrier) -> None:
    sio = socketio.AsyncClient(reconnection=False)
    done = asyncio.Event()

    async def _reply(data: Any = None, event_id: Any = None) -> None:
        if isinstance(data, dict) and data.get("output") == "steps done":
            done.set()

    sio.on("new_message", _reply)

    auth = {
        "sessionId": str(uuid.uuid4()),
        "clientType": "webapp",
        "threadId": "",
        "userEnv": "{}",
        "chatProfile": "",
    }
    await sio.connect(url, socketio_path="/ws/socket.io", auth=auth, transports=["websocket"])
    await sio.emit("connection_successful")
    await ready.wait()
    tag = uuid.uuid4().hex[:8]
    for index in range(messages):
        done.clear()
        message = {
            "id": str(uuid.uuid4()),
            "threadId": "",
            "name": "User",
            "type": "user_message",
            "output": f"steps {steps} {tag}-{index}",
            "createdAt": "",
        }
        await sio.emit("client_message", {"message": message, "fileReferences": []})
        await asyncio.wait_for(done.wait(), 120)
    await sio.disconnect()


async def _chainlit_tables(dsn: str) -> None:
    """Chainlit's tables, as an app's database would hold them."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(CHAINLIT_SCHEMA)
    finally:
        await conn.close()


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[rank]


async def _lags(dsn: str, expected: int, timeout: float) -> list[float]:
    deadline = time.monotonic() + timeout
    while True:
        conn = await asyncpg.connect(dsn)
        try:
            rows = await conn.fetch(_LAGS)
        finally:
            await conn.close()
        if len(rows) >= expected or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)
    if len(rows) < expected:
        raise SystemExit(f"only {len(rows)} of {expected} steps committed after {timeout} s")
    lags = []
    for row in rows:
        ended = datetime.strptime(row["end"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        lags.append((row["written"] - ended).total_seconds() * 1000)
    return lags


async def measure(url: str, dsn: str, sessions: int, messages: int, steps: int) -> dict[str, Any]:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(_TRIGGER)
    finally:
        await conn.close()
    barrier = asyncio.Barrier(sessions + 1)
    tasks = [asyncio.create_task(_session(url, messages, steps, barrier)) for _ in range(sessions)]
    await barrier.wait()
    started = time.perf_counter()
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    lags = await _lags(dsn, sessions * messages * steps, timeout=120)
    return {
        "sessions": sessions,
        "steps": len(lags),
        "seconds": round(elapsed, 2),
        "steps_per_s": round(len(lags) / elapsed, 1),
        "lag_ms": {
            "p50": round(_percentile(lags, 50), 1),
            "p90": round(_percentile(lags, 90), 1),
            "p99": round(_percentile(lags, 99), 1),
            "max": round(max(lags), 1),
        },
    }


def _table(result: dict[str, Any]) -> str:
    lag = result["lag_ms"]
    head = ("sessions", "workers", "steps", "steps/s", "p50 ms", "p90 ms", "p99 ms", "max ms")
    row = (
        result["sessions"],
        result["workers"],
        result["steps"],
        result["steps_per_s"],
        lag["p50"],
        lag["p90"],
        lag["p99"],
        lag["max"],
    )
    widths = [max(len(str(h)), len(str(v))) for h, v in zip(head, row, strict=True)]
    line = "  ".join(str(h).rjust(w) for h, w in zip(head, widths, strict=True))
    values = "  ".join(str(v).rjust(w) for v, w in zip(row, widths, strict=True))
    title = (
        f"persistence lag ({result.get('schema', 'switchboard')} schema): "
        "tool step ended (worker) -> row written (PostgreSQL)"
    )
    return f"{title}\n{line}\n{values}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--messages", type=int, default=10, help="per session")
    parser.add_argument("--steps", type=int, default=10, help="tool steps per message")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--database-url", default=None, help="an empty PostgreSQL database (default: a private one)"
    )
    parser.add_argument(
        "--schema",
        choices=("switchboard", "chainlit", "app"),
        default="switchboard",
        help="storage mode: Switchboard's tables, Chainlit's used in place, or an app's "
        "@cl.data_layer (Chainlit's SQLAlchemyDataLayer on Chainlit's tables)",
    )
    args = parser.parse_args()

    redis: LocalRedis | None = None
    postgres: LocalPostgres | None = None
    stack: LocalStack | None = None
    try:
        database_url = args.database_url
        if database_url is None:
            postgres = LocalPostgres().create()
            database_url = postgres.url
        redis = LocalRedis().start()
        tmp = Path(tempfile.mkdtemp(prefix="switchboard-bench-lag-"))
        print(f"service logs in {tmp / 'logs'}", file=sys.stderr, flush=True)
        own_url, extra_env = database_url, {}
        if args.schema == "chainlit":
            asyncio.run(_chainlit_tables(_dsn(database_url)))
            own_url = f"sqlite+aiosqlite:///{tmp / 'own.db'}"
            extra_env = {
                "SWITCHBOARD_PERSISTENCE_SCHEMA": "chainlit",
                "SWITCHBOARD_CHAINLIT_DATABASE_URL": database_url,
            }
        app = "steps.py"
        if args.schema == "app":
            asyncio.run(_chainlit_tables(_dsn(database_url)))
            own_url = f"sqlite+aiosqlite:///{tmp / 'own.db'}"
            app = "steps_data_layer.py"
            extra_env = {
                "SWITCHBOARD_PERSISTENCE_SCHEMA": "app",
                "BENCH_CHAINLIT_DATABASE_URL": database_url,
            }
        stack = LocalStack(
            app=(HERE / "apps" / app).resolve(),
            redis_url=redis.url,
            database_url=own_url,
            workers=args.workers,
            log_dir=tmp / "logs",
            extra_env=extra_env,
        ).start()
        result = asyncio.run(
            measure(stack.url, _dsn(database_url), args.sessions, args.messages, args.steps)
        )
        result["workers"] = args.workers
        result["schema"] = args.schema
        print(_table(result))
        print(json.dumps(result), flush=True)
        stack.stop()
        shutil.rmtree(tmp, ignore_errors=True)  # logs are kept only when the run fails
    finally:
        if stack is not None:
            stack.stop()
        if redis is not None:
            redis.stop()
        if postgres is not None:
            postgres.destroy()


if __name__ == "__main__":
    main()
