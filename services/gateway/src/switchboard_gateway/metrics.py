"""Gateway Prometheus metrics (one process serves one gateway)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

__all__ = ("ACTIVE_SOCKETS", "CLIENT_EVENTS", "REFUSED", "UI_EVENTS")

ACTIVE_SOCKETS = Gauge("switchboard_gateway_active_sockets", "Connected Socket.IO clients")
CLIENT_EVENTS = Counter(
    "switchboard_gateway_client_events_total", "Client events received", ["event"]
)
REFUSED = Counter(
    "switchboard_gateway_refused_total", "Connections and events refused at the edge", ["code"]
)
UI_EVENTS = Counter("switchboard_gateway_ui_events_total", "UI events emitted to sockets")
