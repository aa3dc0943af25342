"""Gateway Prometheus metrics (one process serves one gateway)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

__all__ = (
    "ACTIVE_SOCKETS",
    "CLIENT_EVENTS",
    "ENGINEIO_SOCKETS",
    "REFUSED",
    "SHED",
    "SLOW_CLIENTS",
    "UI_EVENTS",
)

ACTIVE_SOCKETS = Gauge("switchboard_gateway_active_sockets", "Connected Socket.IO clients")
CLIENT_EVENTS = Counter(
    "switchboard_gateway_client_events_total", "Client events received", ["event"]
)
REFUSED = Counter(
    "switchboard_gateway_refused_total", "Connections and events refused at the edge", ["code"]
)
UI_EVENTS = Counter("switchboard_gateway_ui_events_total", "UI events emitted to sockets")
SHED = Counter(
    "switchboard_gateway_shed_total",
    "Client messages refused by a limit (rate, session backlog, queue depth)",
    ["reason"],
)
SLOW_CLIENTS = Counter(
    "switchboard_gateway_slow_clients_total",
    "Sockets disconnected because their outgoing backlog passed the limit",
)
# Engine.IO reaps a closed socket on its next service pass (up to two ping
# timeouts later); until then the socket and its queues are still held.
ENGINEIO_SOCKETS = Gauge(
    "switchboard_gateway_engineio_sockets",
    "Engine.IO sockets held, including closed ones not yet reaped",
)
