"""Load: hundreds to thousands of concurrent Chainlit-protocol sessions on one gateway.

For each worker count and session count, starts a fresh stack (its own Redis,
SQLite) with an app that streams a 20-token reply, then, from a pool of client
processes:

1. connects every session (Chainlit's ``auth`` payload, ``connection_successful``),
2. lets them sit idle, then has each send ``--messages`` messages one after another
   (``client_message`` -> first ``stream_token`` -> ``task_end``),
3. disconnects them all, waits until the gateway has reaped every closed socket,
   then connects and disconnects as many again (a leak grows RSS a second time;
   memory the allocator kept from the first round is reused: CPython keeps a heap
   arena while any object in it lives, so RSS stays near its peak after a burst).

Reports connect time, first-token and full-reply p50/p95/p99, messages per second,
and the gateway's RSS (/proc/<pid>/status VmRSS) before connecting, with every
session connected and idle, and after they all left, plus the throughput ratio
of 2 workers to 1. Backpressure limits are turned off so they do not shape results.

    uv run --frozen python bench/load.py --sessions 200 --sessions 1000 --workers 1 --workers 2
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any, cast

from redis import Redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.clients import ClientPool, merged, percentile, raise_open_files, read_rss_kb
from switchboard.names import RedisNames
from switchboard.stack import LocalRedis, LocalStack

HERE = Path(__file__).resolve().parent

# Off (0): results must show the stack, not its limits.
UNLIMITED = {
    "SWITCHBOARD_USER_MESSAGES_PER_MINUTE": "0",
    "SWITCHBOARD_MAX_SESSION_INPUTS": "0",
    "SWITCHBOARD_MAX_QUEUE_DEPTH": "0",
    "SWITCHBOARD_MAX_CLIENT_BACKLOG": "0",
}


def gateway_metrics(url: str) -> dict[str, float]:
    """The gateway's Prometheus samples (its operations port), summed per metric name."""
    with urllib.request.urlopen(f"{url}/metrics", timeout=60) as response:
        text = response.read().decode()
    totals: dict[str, float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name_part, _, value = line.rpartition(" ")
        name = name_part.split("{")[0]
        try:
            totals[name] = totals.get(name, 0.0) + float(value)
        except ValueError:
            continue
    return totals


def active_sockets(url: str) -> int:
    return int(gateway_metrics(url).get("switchboard_gateway_active_sockets", 0))


def held_sockets(url: str) -> int:
    """Engine.IO sockets the gateway still holds (closed ones until its reaper runs)."""
    return int(gateway_metrics(url).get("switchboard_gateway_engineio_sockets", 0))


def settle(url: str, pid: int, seconds: float) -> None:
    """Until every socket is closed and reaped and the gateway is idle."""
    wait_until(lambda: active_sockets(url) == 0, 120, "sockets to close")
    wait_until(lambda: held_sockets(url) == 0, 120, "closed sockets to be reaped")
    wait_quiet(pid)
    time.sleep(seconds)


def wait_until(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.25)


def wait_idle(redis: Redis, names: RedisNames, timeout: float = 120) -> None:
    """Until no job is queued (the sessions' chat starts have run)."""
    wait_until(lambda: int(cast(int, redis.zcard(names.queue))) == 0, timeout, "an empty queue")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_quiet(pid: int, timeout: float = 180, busy: float = 0.05) -> None:
    """Until the process uses under ``busy`` of a core for two seconds in a row.

    The gateway finishes a disconnect (telling the sessions service) after the
    socket is gone, so "no socket left" is not yet "done".
    """
    deadline = time.monotonic() + timeout
    calm = 0
    while calm < 2:
        if time.monotonic() > deadline:
            raise TimeoutError(f"process {pid} still busy after {timeout:.0f} s")
        before = cpu_seconds(pid)
        time.sleep(1)
        calm = calm + 1 if cpu_seconds(pid) - before < busy else 0


def quantiles(values: list[float]) -> dict[str, float]:
    return {f"p{q}": round(percentile(values, q), 1) for q in (50, 95, 99)}


def run_one(args: argparse.Namespace, workers: int, sessions: int, tmp: Path) -> dict[str, Any]:
    redis_server = LocalRedis().start()
    stack = LocalStack(
        app=args.app.resolve(),
        redis_url=redis_server.url,
        database_url=f"sqlite+aiosqlite:///{tmp / f'load-{workers}w-{sessions}.db'}",
        workers=workers,
        log_dir=tmp / f"logs-{workers}w-{sessions}",
        extra_env=UNLIMITED,
    )
    pool: ClientPool | None = None
    redis = Redis.from_url(redis_server.url)
    names = RedisNames(stack.redis_prefix)
    try:
        stack.start()
        gateway_pid = stack.processes["gateway"].pid
        pool = ClientPool(stack.url, args.procs, open_files=sessions + 1024)
        procs = len(pool.conns)
        concurrency = max(1, args.connect_concurrency // procs)

        # Warm up (imports, pools, caches), then the baseline.
        pool.call("connect", [{"count": 2, "concurrency": 2}] * procs, timeout=120)
        pool.call("exchange", [{"start_at": 0, "messages": 2, "timeout": 60}] * procs, 120)
        pool.call("disconnect", [{}] * procs, timeout=120)
        wait_idle(redis, names)
        settle(stack.gateway_ops_url, gateway_pid, args.settle)
        rss_before = read_rss_kb(gateway_pid)

        # Connect every session.
        started = time.perf_counter()
        connects = pool.call(
            "connect",
            [{"count": n, "concurrency": concurrency} for n in pool.split(sessions)],
            timeout=600,
        )
        connect_wall = time.perf_counter() - started
        connected = sum(int(r["connected"]) for r in connects)
        errors = merged(connects, "errors")
        wait_until(
            lambda: active_sockets(stack.gateway_ops_url) == connected, 60, "sockets to register"
        )
        wait_idle(redis, names)
        wait_quiet(gateway_pid)
        rss_idle = read_rss_kb(gateway_pid)

        # Every session sends its messages; throughput over the whole burst.
        start_at = time.time() + 1.0
        exchanges = pool.call(
            "exchange",
            [{"start_at": start_at, "messages": args.messages, "timeout": args.timeout}] * procs,
            timeout=args.timeout * args.messages + 120,
        )
        finished = max(float(r["finished_at"]) for r in exchanges)
        first = merged(exchanges, "first_ms")
        end = merged(exchanges, "end_ms")
        errors += merged(exchanges, "errors")
        rss_busy = read_rss_kb(gateway_pid)

        # Everyone leaves; memory must come back.
        disconnects = pool.call("disconnect", [{}] * procs, timeout=300)
        errors += merged(disconnects, "errors")
        settle(stack.gateway_ops_url, gateway_pid, args.settle)
        rss_after = read_rss_kb(gateway_pid)

        # The same sessions' worth again, connected and gone: a leak grows RSS once
        # more, memory the allocator kept from the first round is reused.
        again = pool.call(
            "connect",
            [{"count": n, "concurrency": concurrency} for n in pool.split(sessions)],
            timeout=600,
        )
        errors += merged(again, "errors")
        again_connected = sum(int(r["connected"]) for r in again)
        wait_until(lambda: active_sockets(stack.gateway_ops_url) == again_connected, 60, "sockets")
        wait_idle(redis, names)
        errors += merged(pool.call("disconnect", [{}] * procs, timeout=300), "errors")
        settle(stack.gateway_ops_url, gateway_pid, args.settle)
        rss_after_again = read_rss_kb(gateway_pid)
        metrics = gateway_metrics(stack.gateway_ops_url)
        load = os.getloadavg()[0]
    finally:
        if pool is not None:
            pool.close()
        stack.stop()
        redis.close()
        redis_server.stop()

    grown = rss_idle - rss_before
    return {
        "workers": workers,
        "sessions": sessions,
        "connected": connected,
        "messages": len(end),
        "errors": len(errors),
        "error_samples": errors[:5],
        "connect_all_s": round(connect_wall, 2),
        "connect_ms": quantiles(merged(connects, "connect_ms")),
        "first_token_ms": quantiles(first),
        "full_reply_ms": quantiles(end),
        "messages_per_s": round(len(end) / (finished - start_at), 1),
        "rss_mb": {
            "before": round(rss_before / 1024, 1),
            "idle": round(rss_idle / 1024, 1),
            "busy": round(rss_busy / 1024, 1),
            "after": round(rss_after / 1024, 1),
            "after_second_round": round(rss_after_again / 1024, 1),
        },
        "rss_kb_per_session": round(grown / max(connected, 1), 1),
        "rss_after_over_before": round(rss_after / rss_before, 3),
        "growth_retained": round((rss_after - rss_before) / grown, 3) if grown > 0 else None,
        "gateway_refused": metrics.get("switchboard_gateway_refused_total", 0),
        "gateway_shed": metrics.get("switchboard_gateway_shed_total", 0),
        "slow_clients": metrics.get("switchboard_gateway_slow_clients_total", 0),
        "load_average_1m": round(load, 1),
    }


def table(results: list[dict[str, Any]]) -> str:
    head = (
        "| workers | sessions | errors | connect p50/p95/p99 ms | first token p50/p95/p99 ms "
        "| full reply p50/p95/p99 ms | msgs/s | gateway RSS before / idle / after MB "
        "| KiB per session | after / before | 2nd round after MB | load avg |"
    )
    lines = [head, "|" + "---|" * 12]
    for r in results:

        def q(key: str, r: dict[str, Any] = r) -> str:
            return " / ".join(f"{r[key][p]:.0f}" for p in ("p50", "p95", "p99"))

        rss = r["rss_mb"]
        lines.append(
            f"| {r['workers']} | {r['sessions']} | {r['errors']} | {q('connect_ms')} "
            f"| {q('first_token_ms')} | {q('full_reply_ms')} | {r['messages_per_s']} "
            f"| {rss['before']} / {rss['idle']} / {rss['after']} "
            f"| {r['rss_kb_per_session']} | {r['rss_after_over_before']} "
            f"| {rss['after_second_round']} | {r['load_average_1m']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, action="append", help="repeatable")
    parser.add_argument("--workers", type=int, action="append", help="repeatable")
    parser.add_argument("--messages", type=int, default=2, help="per session")
    parser.add_argument("--procs", type=int, default=4, help="client processes")
    parser.add_argument("--connect-concurrency", type=int, default=64, help="connects in flight")
    parser.add_argument("--timeout", type=float, default=120, help="per reply, seconds")
    parser.add_argument("--settle", type=float, default=2, help="seconds before an RSS after")
    parser.add_argument("--app", type=Path, default=HERE / "apps" / "instant.py")
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    args = parser.parse_args()
    levels = args.sessions or [200, 1000]
    worker_counts = args.workers or [1, 2]
    raise_open_files(max(levels) * 2 + 4096)  # the stack's processes inherit it

    tmp = Path(tempfile.mkdtemp(prefix="switchboard-load-"))
    print(f"logs and databases in {tmp}; {os.cpu_count()} CPUs", file=sys.stderr)
    results = []
    for workers in worker_counts:
        for sessions in levels:
            result = run_one(args, workers, sessions, tmp)
            results.append(result)
            print(json.dumps(result), flush=True)
    print()
    print(table(results))
    by = {(r["workers"], r["sessions"]): r["messages_per_s"] for r in results}
    for sessions in levels:
        if (1, sessions) in by and (2, sessions) in by:
            ratio = by[(2, sessions)] / by[(1, sessions)]
            print(f"throughput 2 vs 1 workers at {sessions} sessions: {ratio:.2f}x")
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
