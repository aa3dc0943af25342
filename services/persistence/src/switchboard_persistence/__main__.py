"""``switchboard-persistence [serve|migrate|import]``: run the service, migrate, import."""

from __future__ import annotations

import argparse
import asyncio

from switchboard.logs import configure_logging
from switchboard.service import serve
from switchboard_persistence.app import create_app
from switchboard_persistence.chainlit_import import run_import
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
    copy = commands.add_parser(
        "import",
        help="copy a database Chainlit's SQLAlchemy data layer wrote into Switchboard's schema",
        description=(
            "Copies threads, steps, elements and feedback from a Chainlit-schema PostgreSQL "
            "database into SWITCHBOARD_DATABASE_URL (migrated first). Rows already there are "
            "kept, so running it again copies only what is new."
        ),
    )
    copy.add_argument(
        "--from",
        dest="source",
        default=None,
        help="the Chainlit database URL (default: SWITCHBOARD_CHAINLIT_DATABASE_URL)",
    )
    copy.add_argument("--dry-run", action="store_true", help="print the counts, write nothing")
    copy.add_argument("--batch-size", type=int, default=100, help="threads per transaction")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    settings = PersistenceSettings()
    configure_logging("persistence", settings.log_level, settings.log_json)
    if args.command == "migrate":
        asyncio.run(migrate(settings.database_url))
        return
    if args.command == "import":
        source = args.source or settings.chainlit_database_url
        if not source:
            raise SystemExit("switchboard import: give --from or SWITCHBOARD_CHAINLIT_DATABASE_URL")
        if not args.dry_run:
            asyncio.run(migrate(settings.database_url))
        run_import(
            source, settings.database_url, dry_run=args.dry_run, batch_size=max(1, args.batch_size)
        )
        return
    if not getattr(args, "no_migrate", False):
        asyncio.run(migrate(settings.database_url))
    serve(create_app(settings), settings.host, settings.port)


if __name__ == "__main__":
    main()
