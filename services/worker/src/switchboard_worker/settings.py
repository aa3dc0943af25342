"""Worker settings (env prefix ``SWITCHBOARD_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from switchboard.config import Settings

__all__ = ("WorkerSettings",)


class WorkerSettings(Settings):
    app: Path | None = Field(default=None, description="The app module to load (a .py file)")
    max_jobs: int = Field(default=200, ge=1)
    # Fallback poll period; normally a pub/sub wake-up starts jobs at once.
    poll_delay: float = Field(default=0.5, gt=0)
    # A session lock not refreshed for this long is taken to belong to a dead worker.
    lock_ttl_ms: int = Field(default=10_000, ge=1000)
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
