"""Soak: ``--sessions`` Chainlit-protocol sessions with steady traffic for ``--minutes``.

Starts a stack (its own Redis, SQLite) with the 20-token streaming app, connects
the sessions from a pool of client processes, and has each send a message every
``--interval`` seconds on average (jittered), waiting for each reply. Every
``--sample`` seconds it records the RSS of every service process, Redis
``INFO memory`` used_memory, the number of keys under the stack's prefix (and in
the whole private Redis, arq's keys included), and what the live sessions' keys
hold (``MEMORY USAGE`` of every ``<prefix>:s:{id}*`` key).

PASS needs all of:
- no error: every message answered, no error event, no dropped socket;
- gateway and worker RSS grow at most 10 % from the end of the warm-up to the end;
- Redis memory beyond what the live sessions' keys hold grows at most 10 % (+1 MiB
  of allocator slack) from the end of the warm-up to the end, and so does the number
  of keys that are not a live session's (+10).

    uv run --frozen python bench/soak.py --minutes 10 --sessions 100
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, cast

from redis import Redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.clients import ClientPool, merged, percentile, raise_open_files, read_rss_kb
from switchboard.names import RedisNames
from switchboard.stack import LocalRedis, LocalStack

HERE = Path(__file__).resolve().parent
MIB = 1024 * 1024

# The gateway's backpressure limits at their defaults, spelled out: steady traffic
# (one message in flight per session, every few seconds) stays well under them.
LIMITS = {
    "SWITCHBOARD_USER_MESSAGES_PER_MINUTE": "120",
    "SWITCHBOARD_MAX_SESSION_INPUTS": "20",
    "SWITCHBOARD_MAX_QUEUE_DEPTH": "10000",
    "SWITCHBOARD_MAX_CLIENT_BACKLOG": "5000",
}


@dataclass
class Sample:
    at_s: float
    rss_mb: dict[str, float]
    redis_used_mb: float
    prefix_keys: int
    all_keys: int
    session_keys: int
    sessions_mb: float

    @property
    def beyond_sessions_mb(self) -> float:
        return self.redis_used_mb - self.sessions_mb


def sample_redis(redis: Redis, names: RedisNames) -> tuple[float, int, int, int, float]:
    used = int(cast(dict[str, Any], redis.info("memory"))["used_memory"])
    prefix_keys = sum(1 for _ in redis.scan_iter(match=f"{names.prefix}:*", count=1000))
    session_keys = list(redis.scan_iter(match=f"{names.session_pattern}*", count=1000))
    held = 0
    with redis.pipeline(transaction=False) as pipe:
        for key in session_keys:
            pipe.memory_usage(key, samples=0)
        held = sum(int(size or 0) for size in pipe.execute())
    return used / MIB, prefix_keys, int(cast(int, redis.dbsize())), len(session_keys), held / MIB


def take_sample(started: float, stack: LocalStack, redis: Redis, names: RedisNames) -> Sample:
    rss = {
        name: round(read_rss_kb(process.pid) / 1024, 1)
        for name, process in stack.processes.items()
        if process.poll() is None
    }
    used, prefix_keys, all_keys, session_keys, held = sample_redis(redis, names)
    return Sample(
        at_s=round(time.time() - started, 1),
        rss_mb=rss,
        redis_used_mb=round(used, 2),
        prefix_keys=prefix_keys,
        all_keys=all_keys,
        session_keys=session_keys,
        sessions_mb=round(held, 2),
    )


def log_problems(log_dir: Path) -> dict[str, int]:
    """Lines logged at warning or worse, per service."""
    counts: dict[str, int] = {}
    for path in sorted(log_dir.glob("*.log")):
        count = 0
        for line in path.read_text(errors="replace").splitlines():
            try:
                level = str(json.loads(line).get("level", "")).lower()
            except ValueError:
                level = "error" if "Traceback" in line else ""
            count += level in ("warning", "error", "critical")
        if count:
            counts[path.stem] = count
    return counts


def growth(first: float, last: float) -> float:
    return round((last - first) / first * 100, 1) if first else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--warmup-minutes", type=float, default=2)
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--interval", type=float, default=5, help="mean s between messages")
    parser.add_argument("--sample", type=float, default=30, help="seconds between samples")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--procs", type=int, default=2, help="client processes")
    parser.add_argument("--app", type=Path, default=HERE / "apps" / "instant.py")
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    args = parser.parse_args()
    raise_open_files(args.sessions * 2 + 4096)

    tmp = Path(tempfile.mkdtemp(prefix="switchboard-soak-"))
    print(f"logs and database in {tmp}", file=sys.stderr)
    redis_server = LocalRedis().start()
    redis = Redis.from_url(redis_server.url)
    stack = LocalStack(
        app=args.app.resolve(),
        redis_url=redis_server.url,
        database_url=f"sqlite+aiosqlite:///{tmp / 'soak.db'}",
        workers=args.workers,
        log_dir=tmp / "logs",
        extra_env=LIMITS,
    )
    names = RedisNames(stack.redis_prefix)
    pool: ClientPool | None = None
    samples: list[Sample] = []
    try:
        stack.start()
        started = time.time()
        samples.append(take_sample(started, stack, redis, names))  # nothing connected
        pool = ClientPool(stack.url, args.procs, open_files=args.sessions + 1024)
        procs = len(pool.conns)
        connects = pool.call(
            "connect",
            [{"count": n, "concurrency": 16} for n in pool.split(args.sessions)],
            timeout=300,
        )
        errors = merged(connects, "errors")
        connected = sum(int(r["connected"]) for r in connects)
        seconds = args.minutes * 60
        start_at = time.time() + 1
        pool.send(
            "steady",
            [{"start_at": start_at, "seconds": seconds, "interval": args.interval, "timeout": 60}]
            * procs,
        )
        next_at = start_at
        while time.time() < start_at + seconds:
            time.sleep(max(0.0, next_at - time.time()))
            sample = take_sample(start_at, stack, redis, names)
            samples.append(sample)
            print(json.dumps(asdict(sample)), file=sys.stderr, flush=True)
            next_at += args.sample
        steady = pool.gather(timeout=180)
        samples.append(take_sample(start_at, stack, redis, names))  # the end, still live
        errors += merged(steady, "errors")
        still = sum(int(r["connected"]) for r in steady)
        exchanges = merged(steady, "samples")
        errors += merged(pool.call("disconnect", [{}] * procs, timeout=120), "errors")
        problems = log_problems(tmp / "logs")
        ui_len = [
            int(cast(int, redis.xlen(key)))
            for key in redis.scan_iter(match=f"{names.session_pattern}:ui")
        ]
    finally:
        if pool is not None:
            pool.close()
        stack.stop()
        redis.close()
        redis_server.stop()

    warm = min(
        (s for s in samples[1:] if s.at_s >= args.warmup_minutes * 60),
        key=lambda s: s.at_s,
        default=samples[-1],
    )
    end = samples[-1]
    watched = ["gateway", *[n for n in end.rss_mb if n.startswith("worker")]]
    rss_growth = {n: growth(warm.rss_mb[n], end.rss_mb[n]) for n in watched}
    beyond_growth_mb = end.beyond_sessions_mb - warm.beyond_sessions_mb
    beyond_limit_mb = warm.beyond_sessions_mb * 0.10 + 1
    first = [e[1] for e in exchanges]
    full = [e[2] for e in exchanges]
    # MEMORY USAGE estimates (streams are over-counted), so keys are checked as well:
    # what is not a live session's (rate windows, arq jobs and results) must stay flat.
    other_keys_warm = warm.all_keys - warm.session_keys
    other_keys_end = end.all_keys - end.session_keys
    checks = {
        "no error": not errors and still == connected == args.sessions,
        "RSS growth <= 10 % after warm-up": all(g <= 10 for g in rss_growth.values()),
        "Redis beyond live sessions not growing": beyond_growth_mb <= beyond_limit_mb,
        "Redis keys beyond live sessions not growing": (
            other_keys_end <= other_keys_warm * 1.10 + 10
        ),
    }
    report: dict[str, Any] = {
        "minutes": args.minutes,
        "sessions": args.sessions,
        "connected_at_end": still,
        "interval_s": args.interval,
        "workers": args.workers,
        "messages": len(full),
        "messages_per_s": round(len(full) / (args.minutes * 60), 1),
        "errors": len(errors),
        "error_samples": errors[:5],
        "service_log_warnings": problems,
        "first_token_ms": {f"p{q}": round(percentile(first, q), 1) for q in (50, 95, 99)},
        "full_reply_ms": {f"p{q}": round(percentile(full, q), 1) for q in (50, 95, 99)},
        "warmup_sample_at_s": warm.at_s,
        "rss_mb_warm": {n: warm.rss_mb[n] for n in watched},
        "rss_mb_end": {n: end.rss_mb[n] for n in watched},
        "rss_growth_pct": rss_growth,
        "redis_used_mb": {
            "empty": samples[0].redis_used_mb,
            "warm": warm.redis_used_mb,
            "end": end.redis_used_mb,
        },
        "redis_live_sessions_mb": {"warm": warm.sessions_mb, "end": end.sessions_mb},
        "redis_beyond_sessions_mb": {
            "empty": round(samples[0].beyond_sessions_mb, 2),
            "warm": round(warm.beyond_sessions_mb, 2),
            "end": round(end.beyond_sessions_mb, 2),
        },
        "keys": {
            "prefix_warm": warm.prefix_keys,
            "prefix_end": end.prefix_keys,
            "all_warm": warm.all_keys,
            "all_end": end.all_keys,
            "session_keys_end": end.session_keys,
        },
        "ui_stream_entries_per_session": {
            "mean": round(sum(ui_len) / len(ui_len), 1) if ui_len else 0,
            "max": max(ui_len, default=0),
        },
        "checks": checks,
    }
    print(json.dumps(report, indent=2))
    print()
    print(
        "| t s | gateway RSS MB | worker RSS MB | Redis used MB | live sessions MB "
        "| beyond sessions MB | keys (prefix / all) |"
    )
    print("|---|---|---|---|---|---|---|")
    for index, s in enumerate(samples):
        when = "before connect" if index == 0 else s.at_s
        workers = " / ".join(str(v) for k, v in s.rss_mb.items() if k.startswith("worker"))
        print(
            f"| {when} | {s.rss_mb.get('gateway')} | {workers} | {s.redis_used_mb} "
            f"| {s.sessions_mb} | {s.beyond_sessions_mb:.2f} | {s.prefix_keys} / {s.all_keys} |"
        )
    print()
    for name, ok in checks.items():
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    verdict = all(checks.values())
    print(f"SOAK {'PASS' if verdict else 'FAIL'}")
    if args.json is not None:
        args.json.write_text(
            json.dumps({"report": report, "samples": [asdict(s) for s in samples]})
        )
    sys.exit(0 if verdict else 1)


if __name__ == "__main__":
    main()
