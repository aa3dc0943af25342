"""``switchboard-worker [--check | --ready | --alive] [APP.py]``: run an arq worker for an app.

``--ready`` and ``--alive`` are the probes of a worker's container (compose healthcheck,
image ``HEALTHCHECK``, Kubernetes probes): they look for the heartbeat key of the worker
on this host (``SWITCHBOARD_WORKER_ID`` when set, else any worker whose host is this
host name: a container's or pod's own name).
"""

from __future__ import annotations

import argparse
import logging
import socket
import sys
from pathlib import Path

from switchboard.logs import configure_logging
from switchboard_worker.settings import WorkerSettings

logger = logging.getLogger("switchboard_worker")


def probe(settings: WorkerSettings, *, ready: bool) -> int:
    """Exit code of a probe: 0 while this host's worker beats.

    ``ready``: the worker beats and takes jobs (not draining). Otherwise (liveness) a
    Redis that does not answer passes: restarting workers cannot bring Redis back.
    """
    import redis

    from switchboard.fleet import live_workers

    client = redis.Redis.from_url(settings.redis_url, socket_timeout=4, socket_connect_timeout=4)
    try:
        beats = live_workers(client, settings.names)
    except redis.RedisError as exc:
        print(f"redis unreachable: {exc}", file=sys.stderr)
        return 1 if ready else 0
    finally:
        client.close()
    host = socket.gethostname()
    mine = [
        beat
        for beat in beats
        if (beat.id == settings.worker_id if settings.worker_id else beat.host == host)
    ]
    usable = [beat for beat in mine if not (ready and beat.draining)]
    if not usable:
        who = settings.worker_id or f"host {host}"
        state = "draining" if mine else "no live heartbeat"
        print(f"worker of {who}: {state}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="switchboard-worker", description=__doc__)
    parser.add_argument("app", nargs="?", type=Path, help="app module (or SWITCHBOARD_APP)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--check",
        action="store_true",
        help="import the app and check what a worker checks at start, then exit (0: it loads)",
    )
    mode.add_argument(
        "--ready",
        action="store_true",
        help="exit 0 while this host's worker beats and takes jobs (readiness probe)",
    )
    mode.add_argument(
        "--alive",
        action="store_true",
        help="exit 1 only when Redis answers and this host's worker has stopped beating",
    )
    args = parser.parse_args(argv)
    settings = WorkerSettings()
    if args.ready or args.alive:
        raise SystemExit(probe(settings, ready=args.ready))
    from switchboard_worker.app import create_worker, load_checked_app
    from switchboard_worker.errors import WorkerError

    if args.app is not None:
        settings.app = args.app
    configure_logging("worker", settings.log_level, settings.log_json)
    try:
        if args.check:
            load_checked_app(settings)
            return
        worker = create_worker(settings)
    except WorkerError as exc:
        # Logged once, with the app's traceback when its import raised; the exit code
        # keeps the process (and its container) from ever looking ready.
        logger.error("%s", exc, exc_info=exc.__cause__)
        raise SystemExit(1) from None
    from switchboard_worker.metrics import serve_metrics

    # Before the app's on_app_startup runs: a port already taken stops the worker here.
    serve_metrics(settings.metrics_host, settings.metrics_port)
    worker.run()


if __name__ == "__main__":
    main()
