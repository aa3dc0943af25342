"""``switchboard-gateway``: run the gateway."""

from __future__ import annotations

from switchboard.logs import configure_logging
from switchboard.service import Listener, serve
from switchboard_gateway.app import create_app
from switchboard_gateway.settings import GatewaySettings


def main() -> None:
    settings = GatewaySettings()
    configure_logging("gateway", settings.log_level, settings.log_json)
    apps = create_app(settings)
    ops = Listener(apps.ops, settings.ops_host or settings.host, settings.ops_port)
    serve(
        apps.public,
        settings.host,
        settings.port,
        listeners=[ops],
        ws_max_size=settings.max_packet_bytes,
    )


if __name__ == "__main__":
    main()
