"""``switchboard-worker [--check] [APP.py]``: run an arq worker for an app module."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from switchboard.logs import configure_logging
from switchboard_worker.app import create_worker, load_checked_app
from switchboard_worker.errors import WorkerError
from switchboard_worker.settings import WorkerSettings

logger = logging.getLogger("switchboard_worker")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="switchboard-worker", description=__doc__)
    parser.add_argument("app", nargs="?", type=Path, help="app module (or SWITCHBOARD_APP)")
    parser.add_argument(
        "--check",
        action="store_true",
        help="import the app and check what a worker checks at start, then exit (0: it loads)",
    )
    args = parser.parse_args(argv)
    settings = WorkerSettings()
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
    worker.run()


if __name__ == "__main__":
    main()
