"""Operator commands and a metrics exporter, reading the services' Redis.

Every key comes from :class:`switchboard.names.RedisNames` (and arq's own
key prefix for in-progress jobs); the connection and prefix from
:class:`switchboard.config.Settings` (``SWITCHBOARD_REDIS_URL``,
``SWITCHBOARD_REDIS_PREFIX``). A CLI may block, so the sync client is used.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict
from typing import Annotated, Any, cast

import redis
import typer
from arq.constants import in_progress_key_prefix
from prometheus_client.core import CollectorRegistry, GaugeMetricFamily, Metric
from prometheus_client.exposition import start_http_server
from rich.console import Console
from rich.table import Table

from switchboard.config import Settings
from switchboard.fleet import live_workers
from switchboard.names import PERSIST_GROUP, RedisNames

__all__ = (
    "dead_letters",
    "persist_backlog",
    "queue_report",
    "register",
    "replay_dead_letters",
    "session_report",
    "worker_report",
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")]
Entries = list[tuple[bytes, dict[bytes, bytes]]]
# In-progress checks look at no more than this many ready jobs per report.
_MAX_CHECKED = 10_000

dead_letters_app = typer.Typer(no_args_is_help=True, help="Persistence entries that failed.")


def _connect() -> tuple[redis.Redis, RedisNames]:
    settings = Settings()
    return redis.Redis.from_url(settings.redis_url, socket_timeout=10), settings.names


def _text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    return value.decode(errors="replace") if isinstance(value, bytes) else value


def queue_report(
    client: redis.Redis, names: RedisNames, now_ms: int | None = None
) -> dict[str, Any]:
    """The arq queue: jobs queued, running, waiting for a worker, the oldest wait, the workers.

    arq keeps a job in its sorted set until the job finishes, scored with the
    time (unix ms) it may start: its enqueue time, or later when deferred.
    """
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    with client.pipeline(transaction=False) as pipe:
        pipe.zcard(names.queue)
        pipe.zrangebyscore(names.queue, "-inf", now_ms, start=0, num=_MAX_CHECKED, withscores=True)
        pipe.zcard(names.running)
        depth, ready, running = pipe.execute()
    with client.pipeline(transaction=False) as pipe:
        for job_id, _ in ready:
            pipe.exists(in_progress_key_prefix + _text(job_id))
        busy = pipe.execute() if ready else []
    waiting = [score for (_, score), flag in zip(ready, busy, strict=True) if not flag]
    return {
        "queue": names.queue,
        "depth": depth,
        "in_progress": sum(1 for flag in busy if flag),
        "waiting": len(waiting),
        "deferred": depth - len(ready),
        "oldest_waiting_s": round(max(now_ms - min(waiting), 0) / 1000, 3) if waiting else 0.0,
        "running_sessions": running,
        "workers": worker_report(client, names),
    }


def worker_report(client: redis.Redis, names: RedisNames) -> dict[str, Any]:
    """The fleet: every worker whose heartbeat key is live, most recent beat first."""
    beats = live_workers(client, names)
    return {
        "live": len(beats),
        "draining": sum(1 for beat in beats if beat.draining),
        "jobs_running": sum(beat.jobs_running for beat in beats),
        "fleet": [asdict(beat) for beat in beats],
    }


def _count_keys(client: redis.Redis, pattern: str) -> int:
    return sum(1 for _ in client.scan_iter(match=pattern, count=1000, _type="hash"))


def session_report(
    client: redis.Redis, names: RedisNames, now: float | None = None
) -> dict[str, Any]:
    """Live session hashes, disconnected ones awaiting their end, pending asks."""
    now = time.time() if now is None else now
    live = _count_keys(client, names.session_pattern)
    asks = 0
    for key in client.scan_iter(match=names.asks_pattern, count=1000, _type="hash"):
        asks += cast(int, client.hlen(key))
    with client.pipeline(transaction=False) as pipe:
        pipe.zcard(names.expiring)
        pipe.zcount(names.expiring, "-inf", now)
        pipe.zcard(names.running)
        expiring, overdue, running = pipe.execute()
    return {
        "live": live,
        "disconnected_awaiting_end": expiring,
        "overdue_for_end": overdue,
        "running": running,
        "pending_asks": asks,
    }


def persist_backlog(client: redis.Redis, names: RedisNames) -> dict[str, int]:
    """Persistence stream entries not yet read by the consumer group, and read but unacked."""
    try:
        groups = cast(list[dict[str, Any]], client.xinfo_groups(names.persist_stream))
    except redis.ResponseError:  # no stream yet: nothing was ever produced
        groups = []
    group = next((g for g in groups if _text(g.get("name")) == PERSIST_GROUP), None)
    unread = int(group.get("lag") or 0) if group else cast(int, client.xlen(names.persist_stream))
    return {
        "unread": unread,
        "pending": int(group["pending"]) if group else 0,
        "dead_letters": cast(int, client.xlen(names.persist_dead)),
    }


def dead_letters(client: redis.Redis, names: RedisNames, count: int = 100) -> list[dict[str, Any]]:
    """The oldest ``count`` dead-letter entries, each with its event's type and session."""
    rows: list[dict[str, Any]] = []
    for entry_id, fields in cast(Entries, client.xrange(names.persist_dead, count=count)):
        try:
            event = json.loads(fields.get(b"e", b""))
        except ValueError:
            event = None
        event = event if isinstance(event, dict) else {}
        rows.append(
            {
                "id": _text(entry_id),
                "stream_id": _text(fields.get(b"stream_id")),
                "type": str(event.get("type", "?")),
                "session_id": str(event.get("session_id", "")),
                "error": _text(fields.get(b"error")),
            }
        )
    return rows


def replay_dead_letters(client: redis.Redis, names: RedisNames, ids: list[str]) -> list[str]:
    """Put dead entries back on the persistence stream; returns the ids replayed.

    Each entry is re-added and removed from the dead-letter stream in one
    transaction, so a crash half-way neither loses nor doubles it.
    """
    replayed: list[str] = []
    for entry_id in ids:
        found = cast(Entries, client.xrange(names.persist_dead, min=entry_id, max=entry_id))
        if not found:
            continue
        with client.pipeline(transaction=True) as pipe:
            pipe.xadd(names.persist_stream, {"e": found[0][1][b"e"]})
            pipe.xdel(names.persist_dead, entry_id)
            pipe.execute()
        replayed.append(entry_id)
    return replayed


def _show(data: Any, as_json: bool, title: str, rows: list[tuple[str, object]]) -> None:
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    table = Table(title=title, show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value", justify="right")
    for key, value in rows:
        table.add_row(key, str(value))
    Console().print(table)


def queues(as_json: JsonOption = False) -> None:
    """Jobs queued, running and waiting, the oldest wait, and the live workers."""
    client, names = _connect()
    with client:
        r = queue_report(client, names)
    workers = r["workers"]
    _show(
        r,
        as_json,
        f"queue {r['queue']}",
        [
            ("jobs queued", r["depth"]),
            ("running", r["in_progress"]),
            ("waiting for a worker", r["waiting"]),
            ("deferred", r["deferred"]),
            ("oldest wait (s)", r["oldest_waiting_s"]),
            ("sessions running", r["running_sessions"]),
            ("workers alive", workers["live"] or "NONE"),
            ("workers draining", workers["draining"]),
        ],
    )
    if as_json or not workers["fleet"]:
        return
    table = Table(title="workers")
    for column in ("id", "host", "pid", "last beat (s ago)", "jobs running", "state"):
        table.add_column(column, overflow="fold")
    for beat in workers["fleet"]:
        table.add_row(
            beat["id"],
            beat["host"],
            str(beat["pid"]),
            f"{beat['age_s']:.1f}" if beat["age_s"] is not None else "?",
            f"{beat['jobs_running']}/{beat['max_jobs']}",
            "draining" if beat["draining"] else "taking jobs",
        )
    Console().print(table)


def sessions(as_json: JsonOption = False) -> None:
    """Live sessions, disconnected ones awaiting their end, running ones, pending asks."""
    client, names = _connect()
    with client:
        r = session_report(client, names)
    _show(
        r,
        as_json,
        "sessions",
        [
            ("live", r["live"]),
            ("disconnected, awaiting end", r["disconnected_awaiting_end"]),
            ("past their grace period", r["overdue_for_end"]),
            ("running an input", r["running"]),
            ("asks awaiting an answer", r["pending_asks"]),
        ],
    )


@dead_letters_app.command("list")
def list_dead_letters(
    as_json: JsonOption = False,
    count: Annotated[int, typer.Option(min=1, help="At most this many entries")] = 100,
) -> None:
    """Dead-lettered persistence entries, oldest first."""
    client, names = _connect()
    with client:
        rows = dead_letters(client, names, count)
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(title=f"dead letters in {names.persist_dead}")
    for column in ("id", "stream_id", "type", "session_id", "error"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            row["id"], row["stream_id"], row["type"], row["session_id"], row["error"][:200]
        )
    Console().print(table)


@dead_letters_app.command("replay")
def replay(
    ids: Annotated[list[str] | None, typer.Argument(help="Dead-letter entry ids")] = None,
    replay_all: Annotated[bool, typer.Option("--all", help="Replay every entry")] = False,
    as_json: JsonOption = False,
) -> None:
    """Put entries back on the persistence stream (once what made them fail is fixed)."""
    if not ids and not replay_all:
        typer.echo("dead-letters replay: give entry ids or --all", err=True)
        raise typer.Exit(2)
    client, names = _connect()
    with client:
        if replay_all:
            ids = [row["id"] for row in dead_letters(client, names, count=1_000_000)]
        done = replay_dead_letters(client, names, list(ids or []))
    missing = sorted(set(ids or []) - set(done))
    if as_json:
        typer.echo(json.dumps({"replayed": done, "not_found": missing}, indent=2))
    else:
        typer.echo(f"replayed {len(done)} entries to {names.persist_stream}")
        for entry_id in missing:
            typer.echo(f"not found: {entry_id}", err=True)
    if missing:
        raise typer.Exit(1)


class RedisCollector:
    """Prometheus gauges read from Redis at each scrape (the cluster-wide view)."""

    def __init__(self, client: redis.Redis, names: RedisNames) -> None:
        self.client = client
        self.names = names

    def collect(self) -> Iterator[Metric]:
        queue = queue_report(self.client, self.names)
        sessions = session_report(self.client, self.names)
        backlog = persist_backlog(self.client, self.names)
        values = {
            "queue_depth": ("Jobs in the arq queue, waiting or running", queue["depth"]),
            "queue_waiting": ("Ready jobs no worker has started", queue["waiting"]),
            "queue_oldest_waiting_seconds": (
                "Age of the oldest job waiting for a worker",
                queue["oldest_waiting_s"],
            ),
            "worker_heartbeat": (
                "Workers whose heartbeat key is live (beat within its TTL)",
                queue["workers"]["live"],
            ),
            "sessions_live": ("Session hashes in Redis", sessions["live"]),
            "sessions_disconnected": (
                "Sessions awaiting a reconnect",
                sessions["disconnected_awaiting_end"],
            ),
            "sessions_running": ("Sessions with an input running", sessions["running"]),
            "asks_pending": ("Asks waiting for the user's answer", sessions["pending_asks"]),
            "persist_stream_unread": ("Persistence entries not yet read", backlog["unread"]),
            "persist_stream_pending": (
                "Persistence entries read, not committed",
                backlog["pending"],
            ),
            "persist_dead_letters": ("Entries in the dead-letter stream", backlog["dead_letters"]),
        }
        for name, (doc, value) in values.items():
            yield GaugeMetricFamily(f"switchboard_{name}", doc, value=float(value))


def exporter(
    port: Annotated[int, typer.Option(help="Port to serve /metrics on")] = 9100,
    host: Annotated[str, typer.Option(help="Address to listen on")] = "0.0.0.0",
) -> None:
    """Serve queue, session and persistence-stream gauges from Redis for Prometheus."""
    client, names = _connect()
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RedisCollector(client, names))
    start_http_server(port, addr=host, registry=registry)
    typer.echo(f"serving Redis metrics for prefix {names.prefix!r} on {host}:{port}", err=True)
    threading.Event().wait()


def register(app: typer.Typer) -> None:
    """Add the operator commands to the ``switchboard`` command."""
    app.command("queues")(queues)
    app.command("sessions")(sessions)
    app.command("exporter")(exporter)
    app.add_typer(dead_letters_app, name="dead-letters")
