"""Prometheus metrics of the persistence service.

Module constants on the default registry: one process runs one service, and
importing the module twice (tests building several apps) registers nothing twice.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

__all__ = (
    "BATCH_SECONDS",
    "CONSUMER_FAILURES",
    "DEAD_LETTERS",
    "EVENTS_APPLIED",
    "LAG_SECONDS",
    "SPOOL_BYTES",
    "SPOOL_OBJECTS",
    "STORAGE_UP",
    "STREAM_PENDING",
)

EVENTS_APPLIED = Counter(
    "switchboard_persistence_events_applied_total",
    "Persistence events committed to the database",
    ["type"],
)
BATCH_SECONDS = Histogram(
    "switchboard_persistence_batch_commit_seconds",
    "Time to apply and commit one batch",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
LAG_SECONDS = Histogram(
    "switchboard_persistence_lag_seconds",
    "From an event's production to its commit",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800),
)
DEAD_LETTERS = Counter(
    "switchboard_persistence_dead_letters_total",
    "Entries moved to the dead-letter stream",
    ["reason"],
)
CONSUMER_FAILURES = Counter(
    "switchboard_persistence_consumer_failures_total",
    "Failed attempts to commit a batch or to talk to Redis",
    ["kind"],
)
STREAM_PENDING = Gauge(
    "switchboard_persistence_stream_pending",
    "Entries of the persistence stream delivered to the group but not yet acknowledged",
)
SPOOL_OBJECTS = Gauge(
    "switchboard_persistence_storage_spooled_objects",
    "Object writes (uploads and deletes) waiting in the local spool for object storage",
)
SPOOL_BYTES = Gauge(
    "switchboard_persistence_storage_spool_bytes",
    "Bytes of the objects waiting in the local spool",
)
STORAGE_UP = Gauge(
    "switchboard_persistence_storage_up",
    "1 while object storage answers, 0 while writes go to the local spool",
)
STORAGE_UP.set(1)  # the spool in front of S3 sets 0 during an outage
