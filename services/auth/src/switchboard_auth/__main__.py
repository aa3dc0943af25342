"""``switchboard-auth``: run the auth service, migrate its database, manage users."""

from __future__ import annotations

import asyncio
import sys

from switchboard.logs import configure_logging
from switchboard.service import serve
from switchboard_auth.app import create_app
from switchboard_auth.cli import users_app
from switchboard_auth.db.engine import migrate
from switchboard_auth.settings import AuthSettings


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    command = args[0] if args else "serve"
    if command == "users":
        users_app(args=args[1:], prog_name="switchboard users")
        return
    settings = AuthSettings()
    configure_logging("auth", settings.log_level, settings.log_json)
    if command == "migrate":
        asyncio.run(migrate(settings.database_url))
        return
    if command != "serve":
        raise SystemExit(f"switchboard-auth: unknown command {command!r} (serve, migrate, users)")
    if "--no-migrate" not in args:
        asyncio.run(migrate(settings.database_url))
    serve(create_app(settings), settings.host, settings.port)


if __name__ == "__main__":
    main()
