"""``switchboard-gateway``: run the gateway."""

from __future__ import annotations

from switchboard.logs import configure_logging
from switchboard.service import serve
from switchboard_gateway.app import create_app
from switchboard_gateway.settings import GatewaySettings


def main() -> None:
    settings = GatewaySettings()
    configure_logging("gateway", settings.log_level, settings.log_json)
    serve(create_app(settings), settings.host, settings.port, ws_max_size=settings.max_packet_bytes)


if __name__ == "__main__":
    main()
