"""``switchboard-worker [APP.py]``: run an arq worker for an app module."""

from __future__ import annotations

import argparse
from pathlib import Path

from switchboard.logs import configure_logging
from switchboard_worker.app import create_worker
from switchboard_worker.loader import AppLoadError
from switchboard_worker.settings import WorkerSettings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="switchboard-worker", description=__doc__)
    parser.add_argument("app", nargs="?", type=Path, help="app module (or SWITCHBOARD_APP)")
    args = parser.parse_args(argv)
    settings = WorkerSettings()
    if args.app is not None:
        settings.app = args.app
    configure_logging("worker", settings.log_level, settings.log_json)
    try:
        worker = create_worker(settings)
    except AppLoadError as exc:
        raise SystemExit(f"switchboard-worker: {exc}") from exc
    worker.run()


if __name__ == "__main__":
    main()
