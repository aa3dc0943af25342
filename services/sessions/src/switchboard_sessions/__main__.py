"""``switchboard-sessions``: run the sessions service."""

from __future__ import annotations

from switchboard.logs import configure_logging
from switchboard.service import serve
from switchboard_sessions.app import create_app
from switchboard_sessions.settings import SessionsSettings


def main() -> None:
    settings = SessionsSettings()
    configure_logging("sessions", settings.log_level, settings.log_json)
    serve(create_app(settings), settings.host, settings.port)


if __name__ == "__main__":
    main()
