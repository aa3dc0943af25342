"""``switchboard-persistence [serve|migrate]``: run the service or migrate its database."""

from __future__ import annotations

import argparse
import asyncio

from switchboard.logs import configure_logging
from switchboard.service import serve
from switchboard_persistence.app import create_app
from switchboard_persistence.db.engine import migrate
from switchboard_persistence.settings import PersistenceSettings

__all__ = ("main",)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="switchboard-persistence",
        description="Persist threads and steps from the Redis stream; serve them over HTTP.",
    )
    commands = parser.add_subparsers(dest="command")
    serve = commands.add_parser("serve", help="run the service (default)")
    serve.add_argument(
        "--no-migrate",
        action="store_true",
        help="do not upgrade the schema first (when a migration job does it)",
    )
    commands.add_parser("migrate", help="upgrade the database schema and exit")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    settings = PersistenceSettings()
    configure_logging("persistence", settings.log_level, settings.log_json)
    if args.command == "migrate":
        asyncio.run(migrate(settings.database_url))
        return
    if not getattr(args, "no_migrate", False):
        asyncio.run(migrate(settings.database_url))
    serve(create_app(settings), settings.host, settings.port)


if __name__ == "__main__":
    main()
