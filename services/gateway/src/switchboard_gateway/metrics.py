"""Gateway Prometheus metrics (one process serves one gateway)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

__all__ = (
    "ACTIVE_SOCKETS",
    "CLIENT_EVENTS",
    "CLIENT_EVENT_SECONDS",
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
# Handling ends when the event is taken (queued for a worker, answered, or refused),
# not when the app has answered it: that is the worker's job run time.
CLIENT_EVENT_SECONDS = Histogram(
    "switchboard_gateway_client_event_seconds",
    "Time to handle a client event, connect included, by event and outcome",
    ["event", "outcome"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
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
