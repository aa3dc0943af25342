"""``switchboard-gateway``: run the gateway."""

from __future__ import annotations

import uvicorn

from switchboard.logs import configure_logging
from switchboard_gateway.app import create_app
from switchboard_gateway.settings import GatewaySettings


def main() -> None:
    settings = GatewaySettings()
    configure_logging("gateway", settings.log_level, settings.log_json)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        ws_max_size=settings.max_packet_bytes,
    )


if __name__ == "__main__":
    main()
