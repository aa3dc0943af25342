"""``switchboard-sessions``: run the sessions service."""

from __future__ import annotations

import uvicorn

from switchboard.logs import configure_logging
from switchboard_sessions.app import create_app
from switchboard_sessions.settings import SessionsSettings


def main() -> None:
    settings = SessionsSettings()
    configure_logging("sessions", settings.log_level, settings.log_json)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
    )


if __name__ == "__main__":
    main()
