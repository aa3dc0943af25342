"""Worker settings (env prefix ``SWITCHBOARD_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field

from switchboard.config import Settings

__all__ = ("WorkerSettings",)


class WorkerSettings(Settings):
    app: Path | None = Field(default=None, description="The app module to load (a .py file)")
    # Jobs at once, not sessions: a session briefly holds two slots (the job finishing
    # its reply and the next message's job), so this stays well above the sessions a
    # worker serves at once. At 200 (== the sessions) the 200-session bench queued
    # jobs for free slots: first-token p99 3.5-4.3x its p50, 1.3x at 1000.
    max_jobs: int = Field(default=1000, ge=1)
    # Fallback poll period; normally a pub/sub wake-up starts jobs at once.
    poll_delay: float = Field(default=0.5, gt=0)
    # A session lock not refreshed for this long is taken to belong to a dead worker.
    # A thread refreshes it three times per TTL, so only a dead (or frozen) process or
    # Redis away for longer than this lets it lapse.
    lock_ttl_ms: int = Field(default=5_000, ge=1000)
    job_timeout: float = Field(default=3600.0, gt=0)
    manifest_ttl: int = Field(default=60, ge=5)
    # On SIGTERM, running inputs get this long to finish before they are handed over.
    shutdown_grace: int = Field(default=25, ge=1)
    # An app auth callback taking longer than this is a refused login.
    auth_timeout: float = Field(default=15.0, gt=0)
    # Seconds between heartbeats; a worker that misses three in a row counts as gone.
    heartbeat_interval: float = Field(default=10.0, gt=0)
    # This process's name in the fleet; unique per process by default (host, pid, a
    # random tag). Set it only per process, never for a whole scaled service.
    worker_id: str | None = Field(default=None, min_length=1, pattern=r"^[A-Za-z0-9_.:-]+$")
    # Port of this worker's /metrics (job wait and run times). 0 serves none: a local
    # stack runs several workers on one host. Deployments set 9101 and scrape the pod.
    metrics_port: int = Field(
        default=0, ge=0, le=65535, validation_alias=AliasChoices("SWITCHBOARD_WORKER_METRICS_PORT")
    )
    metrics_host: str = Field(
        default="0.0.0.0", validation_alias=AliasChoices("SWITCHBOARD_WORKER_METRICS_HOST")
    )
    # MCP servers this worker opens for its sessions: time to connect, time limit of
    # each request (tool call), largest tool result, most stdio children at once.
    mcp_connect_timeout: float = Field(default=30.0, gt=0)
    mcp_call_timeout: float = Field(default=60.0, gt=0)
    mcp_max_result_bytes: int = Field(default=1_048_576, ge=1024)
    mcp_max_stdio: int = Field(default=16, ge=0)
