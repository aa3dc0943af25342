"""``switchboard-auth``: run the auth service."""

from __future__ import annotations

import uvicorn

from switchboard.logs import configure_logging
from switchboard_auth.app import create_app
from switchboard_auth.settings import AuthSettings


def main() -> None:
    settings = AuthSettings()
    configure_logging("auth", settings.log_level, settings.log_json)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
    )


if __name__ == "__main__":
    main()
