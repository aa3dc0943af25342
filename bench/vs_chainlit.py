"""Switchboard against Chainlit 2.12 on the same app, driven by the same clients.

Runs ``bench/apps/echo20.py`` (``import chainlit as cl``; each message is echoed as
20 streamed tokens, then ``send()``, no sleeps) first on Chainlit 2.12
(``chainlit run --headless``, one process, no data layer, from the reference
virtualenv of ``tests/support/reference.py``), then on a Switchboard stack (1 gateway,
1 worker, sessions, auth, persistence, its own ``LocalRedis``, SQLite). A fresh server
is started for every session count. Both are driven by a ``ClientPool`` with the same
number of client processes, which:

1. warms the server up (2 sessions per client process, 2 messages each, gone again),
2. connects every session (Chainlit's ``auth`` payload, ``connection_successful``)
   and waits until the server is idle,
3. has every session send ``--messages`` messages one after another (the measured
   burst: ``client_message`` -> first ``stream_token`` -> ``task_end``).

Reported per session count, Switchboard beside Chainlit with the ratio
Switchboard/Chainlit:

- first-token p50/p99, full-reply p50 and connect p50 (ms, client side),
- messages/s over the burst,
- CPU-seconds per message: utime+stime from ``/proc/<pid>/stat`` of every server
  process (and its live descendants) before and after the burst. For Switchboard that
  is the gateway, sessions, worker, auth, persistence and the Redis server; for
  Chainlit its one process. "After" is once every process is quiet again, so work
  the burst deferred (persistence writes) is counted, and so is what the idle
  processes burn meanwhile; the JSON also holds the figure taken the moment the last
  reply ended, the per-process split, and the idle use measured over ``--idle-window``
  seconds just before the burst (to judge that share at small message counts),
- Redis commands per message: ``total_commands_processed`` (``INFO``) on the stack's
  own Redis before and after the burst, less the one ``INFO`` of the before-reading
  (Chainlit uses no Redis: no ratio); the JSON holds the per-command split
  (``commandstats``),
- RSS per idle connected session: the gateway's VmRSS growth from before connecting
  to all sessions connected and idle, divided by the sessions, against the same for
  Chainlit's process.

Results (every figure, per process) go to ``bench/results/vs_chainlit-<time>.json``.
Chainlit is installed into ``.cache/`` on first use (about 15 s). Backpressure limits
of Switchboard are turned off, as in ``bench/load.py``.

    uv run --frozen python bench/vs_chainlit.py --sessions 1 --sessions 50 --sessions 200
    make bench-compare
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from redis import Redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.chainlit_schema import CHAINLIT_SCHEMA, create_database, drop_database, row_counts
from bench.clients import ClientPool, merged, percentile, raise_open_files, read_rss_kb
from bench.load import UNLIMITED, active_sockets, settle, wait_idle, wait_quiet, wait_until
from switchboard.names import RedisNames
from switchboard.stack import LocalRedis, LocalStack
from tests.support.reference import CHAINLIT_VERSION, ChainlitServer

HERE = Path(__file__).resolve().parent
CLK_TCK = os.sysconf("SC_CLK_TCK")


# --- processes -------------------------------------------------------------------


def _stat_fields(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None


def process_tree(root: int) -> list[int]:
    """``root`` and every live descendant of it."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def tree_cpu_seconds(root: int) -> float:
    """utime+stime of a process and its live descendants, in seconds."""
    total = 0
    for pid in process_tree(root):
        fields = _stat_fields(pid)
        if fields is not None:
            total += int(fields[11]) + int(fields[12])
    return total / CLK_TCK


def cpu_snapshot(pids: dict[str, int]) -> dict[str, float]:
    return {name: tree_cpu_seconds(pid) for name, pid in pids.items()}


def wait_all_quiet(pids: dict[str, int], timeout: float, busy: float = 0.05) -> bool:
    """Until all of ``pids`` together use under ``busy`` of a core per process, 2 s running.

    Returns False (and goes on) if they are still busy after ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    limit = busy * len(pids)
    calm = 0
    while calm < 2:
        if time.monotonic() > deadline:
            return False
        before = sum(cpu_snapshot(pids).values())
        time.sleep(1)
        calm = calm + 1 if sum(cpu_snapshot(pids).values()) - before < limit else 0
    return True


# --- Redis -------------------------------------------------------------------------


def redis_counters(redis: Redis) -> tuple[int, dict[str, int]]:
    """``total_commands_processed`` and the calls per command, from one ``INFO all``."""
    info = cast(dict[str, Any], redis.info("all"))
    calls = {
        key.removeprefix("cmdstat_"): int(value["calls"])
        for key, value in info.items()
        if key.startswith("cmdstat_") and isinstance(value, dict)
    }
    return int(info["total_commands_processed"]), calls


# --- the two servers -------------------------------------------------------------


@dataclass
class Target:
    """One server under test, however it is made of processes."""

    name: str
    url: str
    rss_pid: int  # whose RSS per idle session is reported
    pids: dict[str, int]  # every server process, by name
    stop: Callable[[], None]
    after_connect: Callable[[int], None]  # until ``n`` sessions are registered and idle
    settle: Callable[[], None]  # until every session left is gone and all is idle
    redis: Redis | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# Appended to the app for the PostgreSQL runs: Chainlit's own SQLAlchemy data layer.
_CHAINLIT_DATA_LAYER = """

import os as _os
from chainlit.data.sql_alchemy import SQLAlchemyDataLayer as _SQLAlchemyDataLayer


@cl.data_layer
def _bench_data_layer():
    return _SQLAlchemyDataLayer(conninfo=_os.environ["BENCH_DATA_LAYER_URL"])
"""


@dataclass
class Database:
    """A database of the shared PostgreSQL server made for one run, and that server's pid."""

    server_dsn: str
    name: str
    dsn: str
    postmaster: int
    tables: tuple[str, ...]

    @property
    def sqlalchemy_url(self) -> str:
        return self.dsn.replace("postgresql://", "postgresql+asyncpg://", 1)

    def stored(self) -> dict[str, int]:
        return asyncio.run(row_counts(self.dsn, self.tables))

    def drop(self) -> None:
        asyncio.run(drop_database(self.server_dsn, self.name))


def make_database(
    server_dsn: str, name: str, schema: str | None, tables: tuple[str, ...]
) -> Database:
    dsn = asyncio.run(create_database(server_dsn, name, schema))

    async def postmaster_pid() -> int:
        import asyncpg

        db = await asyncpg.connect(dsn)
        try:
            # Read while this backend lives: its parent is the server's postmaster.
            fields = _stat_fields(int(await db.fetchval("SELECT pg_backend_pid()")))
        finally:
            await db.close()
        if fields is None:
            raise RuntimeError("PostgreSQL must run on this machine to measure its CPU")
        return int(fields[1])

    return Database(server_dsn, name, dsn, asyncio.run(postmaster_pid()), tables)


def start_chainlit(
    app: Path, settle_s: float, tmp: Path, database: Database | None = None
) -> Target:
    extra_env: dict[str, str] = {}
    if database is not None:
        with_layer = tmp / f"{app.stem}_chainlit_pg.py"
        with_layer.write_text(app.read_text() + _CHAINLIT_DATA_LAYER)
        app = with_layer
        extra_env["BENCH_DATA_LAYER_URL"] = database.sqlalchemy_url
    server = ChainlitServer(app, extra_env=extra_env).start()
    assert server.process is not None
    pid = server.process.pid
    pids = {"chainlit": pid}
    if database is not None:
        pids["postgres"] = database.postmaster

    def after_connect(_: int) -> None:
        wait_quiet(pid)

    def settle_down() -> None:
        wait_quiet(pid)
        time.sleep(settle_s)

    return Target(
        name="chainlit",
        url=server.url,
        rss_pid=pid,
        pids=pids,
        stop=server.stop,
        after_connect=after_connect,
        settle=settle_down,
        extra={"version": CHAINLIT_VERSION},
    )


def start_switchboard(
    app: Path, tmp: Path, label: str, settle_s: float, database: Database | None = None
) -> Target:
    redis_server = LocalRedis().start()
    stack = LocalStack(
        app=app,
        redis_url=redis_server.url,
        database_url=(
            database.sqlalchemy_url
            if database is not None
            else f"sqlite+aiosqlite:///{tmp / f'{label}.db'}"
        ),
        workers=1,
        log_dir=tmp / f"logs-{label}",
        extra_env=UNLIMITED,
    )
    try:
        stack.start()
    except BaseException:
        redis_server.stop()
        raise
    assert redis_server.process is not None
    redis = Redis.from_url(redis_server.url)
    names = RedisNames(stack.redis_prefix)
    gateway = stack.processes["gateway"].pid
    pids = {name: process.pid for name, process in stack.processes.items()}
    pids["redis"] = redis_server.process.pid
    if database is not None:
        pids["postgres"] = database.postmaster

    def after_connect(connected: int) -> None:
        wait_until(
            lambda: active_sockets(stack.gateway_ops_url) == connected, 60, "sockets to register"
        )
        wait_idle(redis, names)
        wait_quiet(gateway)

    def settle_down() -> None:
        wait_idle(redis, names)
        settle(stack.gateway_ops_url, gateway, settle_s)

    def stop() -> None:
        try:
            stack.stop()
        finally:
            redis.close()
            redis_server.stop()

    return Target(
        name="switchboard",
        url=stack.url,
        rss_pid=gateway,
        pids=pids,
        stop=stop,
        after_connect=after_connect,
        settle=settle_down,
        redis=redis,
        extra={"logs": str(tmp / f"logs-{label}")},
    )


# --- one measurement ---------------------------------------------------------------


def quantiles(values: list[float]) -> dict[str, float]:
    return {f"p{q}": round(percentile(values, q), 2) for q in (50, 95, 99)}


def measure(target: Target, args: argparse.Namespace, sessions: int) -> dict[str, Any]:
    pool = ClientPool(target.url, args.procs, open_files=sessions + 1024)
    try:
        procs = len(pool.conns)
        concurrency = max(1, args.connect_concurrency // procs)

        # Warm up (imports, pools, caches), then the baseline.
        warm = pool.call("connect", [{"count": 2, "concurrency": 2}] * procs, timeout=120)
        warm += pool.call("exchange", [{"start_at": 0, "messages": 2, "timeout": 60}] * procs, 120)
        warm += pool.call("disconnect", [{}] * procs, timeout=120)
        if merged(warm, "errors"):
            raise RuntimeError(f"{target.name} warm-up failed: {merged(warm, 'errors')[:3]}")
        target.settle()
        rss_before = read_rss_kb(target.rss_pid)
        rss_all_before = {name: read_rss_kb(pid) for name, pid in target.pids.items()}

        # Connect every session; they sit idle.
        started = time.perf_counter()
        connects = pool.call(
            "connect",
            [{"count": n, "concurrency": concurrency} for n in pool.split(sessions)],
            timeout=600,
        )
        connect_wall = time.perf_counter() - started
        connected = sum(int(r["connected"]) for r in connects)
        errors = merged(connects, "errors")
        target.after_connect(connected)
        rss_idle = read_rss_kb(target.rss_pid)
        rss_all_idle = {name: read_rss_kb(pid) for name, pid in target.pids.items()}

        # The measured burst: nothing else talks to the servers or their Redis meanwhile.
        # What the idle servers burn anyway (heartbeats, polling), for the JSON only.
        idle_start, idle_at = cpu_snapshot(target.pids), time.perf_counter()
        time.sleep(args.idle_window)
        redis_before = redis_counters(target.redis) if target.redis is not None else None
        cpu_before = cpu_snapshot(target.pids)
        idle_s = time.perf_counter() - idle_at
        burst_at = time.perf_counter()
        start_at = time.time() + 1.0
        exchanges = pool.call(
            "exchange",
            [{"start_at": start_at, "messages": args.messages, "timeout": args.timeout}] * procs,
            timeout=args.timeout * args.messages + 120,
        )
        cpu_at_end = cpu_snapshot(target.pids)
        quiet = wait_all_quiet(target.pids, timeout=args.quiet_timeout)
        cpu_after = cpu_snapshot(target.pids)
        burst_s = time.perf_counter() - burst_at
        redis_after = redis_counters(target.redis) if target.redis is not None else None

        finished = max(float(r["finished_at"]) for r in exchanges)
        first = merged(exchanges, "first_ms")
        by_round = [
            [ms for r in exchanges for ms in r["first_ms_by_round"][index]]
            for index in range(args.messages)
        ]
        end = merged(exchanges, "end_ms")
        errors += merged(exchanges, "errors")
        errors += merged(pool.call("disconnect", [{}] * procs, timeout=300), "errors")
        load = os.getloadavg()[0]
    finally:
        pool.close()

    messages = len(end)
    per_message = max(messages, 1)
    cpu = {name: cpu_after[name] - cpu_before[name] for name in target.pids}
    cpu_end = {name: cpu_at_end[name] - cpu_before[name] for name in target.pids}
    redis_result: dict[str, Any] | None = None
    if redis_before is not None and redis_after is not None:
        total = redis_after[0] - redis_before[0] - 1  # less the before-reading's INFO
        by_command = {
            name: calls - redis_before[1].get(name, 0)
            for name, calls in redis_after[1].items()
            if name != "info" and calls - redis_before[1].get(name, 0) > 0
        }
        redis_result = {
            "commands": total,
            "per_message": round(total / per_message, 2),
            "by_command": dict(sorted(by_command.items(), key=lambda item: -item[1])),
        }
    return {
        "server": target.name,
        "sessions": sessions,
        "connected": connected,
        "messages": messages,
        "errors": len(errors),
        "error_samples": errors[:5],
        "client_processes": procs,
        "connect_all_s": round(connect_wall, 2),
        "connect_ms": quantiles(merged(connects, "connect_ms")),
        "first_token_ms": quantiles(first),
        "first_token_ms_by_round": [quantiles(v) if v else None for v in by_round],
        "full_reply_ms": quantiles(end),
        "messages_per_s": round(messages / (finished - start_at), 1),
        "cpu_s_per_message": round(sum(cpu.values()) / per_message, 6),
        "cpu_s_per_message_by_process": {
            name: round(value / per_message, 6) for name, value in cpu.items()
        },
        "cpu_s_per_message_at_burst_end": round(sum(cpu_end.values()) / per_message, 6),
        # Idle use over the window before the burst, and what that much over the whole
        # measured window (burst + wait until quiet) comes to per message.
        "idle_cpu_cores": {
            name: round((cpu_before[name] - idle_start[name]) / idle_s, 4) for name in target.pids
        },
        "idle_cpu_s_per_message_in_window": round(
            (sum(cpu_before.values()) - sum(idle_start.values())) / idle_s * burst_s / per_message,
            6,
        ),
        "measured_window_s": round(burst_s, 2),
        "quiet_after_burst": quiet,
        "redis": redis_result,
        "rss_process": "gateway" if target.name == "switchboard" else "chainlit",
        "rss_kb": {"before": rss_before, "idle": rss_idle},
        "rss_kb_per_idle_session": round((rss_idle - rss_before) / max(connected, 1), 1),
        "rss_kb_by_process": {"before": rss_all_before, "idle": rss_all_idle},
        "load_average_1m": round(load, 2),
        **target.extra,
    }


CHAINLIT_TABLES = ("threads", "steps")
SWITCHBOARD_TABLES = ("threads", "steps")


def run_level(
    args: argparse.Namespace, sessions: int, tmp: Path, postgres: bool = False
) -> dict[str, Any]:
    """Chainlit, then Switchboard, at ``sessions``; with ``postgres`` both store in PostgreSQL."""
    app = args.app.resolve()
    results: dict[str, Any] = {"sessions": sessions, "postgres": postgres}
    tag = f"{sessions}_{os.getpid()}"

    def database(side: str) -> Database | None:
        if not postgres:
            return None
        if side == "chainlit":
            return make_database(
                args.postgres_url, f"bench_cl_{tag}", CHAINLIT_SCHEMA, CHAINLIT_TABLES
            )
        return make_database(args.postgres_url, f"bench_sb_{tag}", None, SWITCHBOARD_TABLES)

    starters: list[tuple[str, Callable[[Database | None], Target]]] = [
        ("chainlit", lambda db: start_chainlit(app, args.settle, tmp, db)),
        ("switchboard", lambda db: start_switchboard(app, tmp, f"s{tag}", args.settle, db)),
    ]
    for name, start in starters:
        label = " (PostgreSQL)" if postgres else ""
        print(f"[{sessions} sessions{label}] {name} ...", file=sys.stderr, flush=True)
        db = database(name)
        try:
            target = start(db)
            try:
                results[name] = measure(target, args, sessions)
            finally:
                target.stop()
            if db is not None:
                # What was answered was also stored: otherwise the comparison is moot.
                results[name]["stored_rows"] = db.stored()
        finally:
            if db is not None:
                db.drop()
        print(json.dumps(results[name]), file=sys.stderr, flush=True)
    return results


# --- report ------------------------------------------------------------------------


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    if value == 0 or abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 1:
        return f"{value:.1f}"
    return f"{value:.3g}"


def _ratio(ours: float | None, theirs: float | None) -> str:
    if ours is None or theirs is None or theirs == 0:
        return "—"
    return f"{ours / theirs:.2f}"


ROWS: list[tuple[str, str, Callable[[dict[str, Any]], float | None]]] = [
    ("first token p50 ms", "lower", lambda r: r["first_token_ms"]["p50"]),
    ("first token p99 ms", "lower", lambda r: r["first_token_ms"]["p99"]),
    ("full reply p50 ms", "lower", lambda r: r["full_reply_ms"]["p50"]),
    ("messages/s", "higher", lambda r: r["messages_per_s"]),
    ("connect p50 ms", "lower", lambda r: r["connect_ms"]["p50"]),
    ("CPU-s per message (all processes)", "lower", lambda r: r["cpu_s_per_message"]),
    ("Redis commands per message", "lower", lambda r: (r["redis"] or {}).get("per_message")),
    ("RSS KiB per idle session", "lower", lambda r: r["rss_kb_per_idle_session"]),
]


def table(levels: list[dict[str, Any]]) -> str:
    lines = [
        "| sessions | metric | Chainlit | Switchboard | Switchboard/Chainlit | better |",
        "|---:|---|---:|---:|---:|---|",
    ]
    for level in levels:
        theirs, ours = level["chainlit"], level["switchboard"]
        for label, better, get in ROWS:
            a, b = get(theirs), get(ours)
            lines.append(
                f"| {level['sessions']} | {label} | {_fmt(a)} | {_fmt(b)} | {_ratio(b, a)} "
                f"| {better} |"
            )
        lines.append(
            f"| {level['sessions']} | errors | {theirs['errors']} | {ours['errors']} | | |"
        )
    return "\n".join(lines)


def cpu_table(levels: list[dict[str, Any]]) -> str:
    names = list(levels[0]["switchboard"]["cpu_s_per_message_by_process"])
    head = "| sessions | Chainlit | " + " | ".join(f"SB {n}" for n in names) + " | SB total |"
    lines = [head, "|---:|" + "---:|" * (len(names) + 2)]
    for level in levels:
        split = level["switchboard"]["cpu_s_per_message_by_process"]
        cells = " | ".join(_fmt(split.get(n)) for n in names)
        lines.append(
            f"| {level['sessions']} | {_fmt(level['chainlit']['cpu_s_per_message'])} | {cells} "
            f"| {_fmt(level['switchboard']['cpu_s_per_message'])} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, action="append", help="repeatable")
    parser.add_argument("--messages", type=int, default=5, help="per session")
    parser.add_argument("--procs", type=int, default=4, help="client processes (both servers)")
    parser.add_argument("--connect-concurrency", type=int, default=64, help="connects in flight")
    parser.add_argument("--timeout", type=float, default=120, help="per reply, seconds")
    parser.add_argument("--settle", type=float, default=2, help="seconds before an RSS baseline")
    parser.add_argument(
        "--quiet-timeout", type=float, default=60, help="longest wait for idle after a burst"
    )
    parser.add_argument(
        "--idle-window", type=float, default=3, help="seconds of idle CPU measured before a burst"
    )
    parser.add_argument("--app", type=Path, default=HERE / "apps" / "echo20.py")
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="also run every level with PostgreSQL on both sides (Chainlit's SQLAlchemy layer)",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        help="a PostgreSQL server on this machine (its CPU is measured), as an admin DSN",
    )
    parser.add_argument("--json", type=Path, default=None, help="results file (default: dated)")
    args = parser.parse_args()
    levels = args.sessions or [1, 50, 200]
    raise_open_files(max(levels) * 2 + 4096)  # the servers inherit it

    tmp = Path(tempfile.mkdtemp(prefix="switchboard-vs-chainlit-"))
    print(f"logs and databases in {tmp}; {os.cpu_count()} CPUs", file=sys.stderr)
    results = [run_level(args, sessions, tmp) for sessions in levels]
    with_postgres = (
        [run_level(args, sessions, tmp, postgres=True) for sessions in levels]
        if args.postgres
        else []
    )

    print(f"\n## Switchboard vs Chainlit {CHAINLIT_VERSION} (echo20, {args.messages} msgs/session)")
    print()
    print(table(results))
    print()
    print("CPU-seconds per message by process (SB = Switchboard):")
    print()
    print(cpu_table(results))
    if with_postgres:
        print(
            "\n## With PostgreSQL on both sides (Chainlit's SQLAlchemy data layer on its "
            "documented schema; Switchboard's persistence service)"
        )
        print()
        print(table(with_postgres))
        print()
        print(
            "Rows stored (threads, steps): "
            + "; ".join(
                f"{level['sessions']} sessions: Chainlit {level['chainlit'].get('stored_rows')}, "
                f"Switchboard {level['switchboard'].get('stored_rows')}"
                for level in with_postgres
            )
        )
        print()
        print("CPU-seconds per message by process, PostgreSQL included:")
        print()
        print(cpu_table(with_postgres))

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = args.json or HERE / "results" / f"vs_chainlit-{stamp}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "created": stamp,
        "cpus": os.cpu_count(),
        "chainlit_version": CHAINLIT_VERSION,
        "app": str(args.app),
        "messages_per_session": args.messages,
        "client_processes": args.procs,
        "levels": results,
        "levels_postgres": with_postgres,
    }
    out.write_text(json.dumps(document, indent=2))
    print(f"\nresults: {out}")


if __name__ == "__main__":
    main()
