"""Gateway settings (env prefix ``SWITCHBOARD_``)."""

from __future__ import annotations

import uuid

from pydantic import AliasChoices, Field, SecretStr

from switchboard.config import Settings

__all__ = ("GatewaySettings",)


class GatewaySettings(Settings):
    host: str = Field(
        default="127.0.0.1", validation_alias=AliasChoices("SWITCHBOARD_GATEWAY_HOST")
    )
    port: int = Field(default=8000, validation_alias=AliasChoices("SWITCHBOARD_GATEWAY_PORT"))
    gateway_id: str = Field(default_factory=lambda: uuid.uuid4().hex[:12])
    # Largest client event accepted (JSON-encoded bytes); larger ones get an error event.
    max_event_bytes: int = Field(default=1_048_576, ge=1024)
    # Engine.IO closes a connection whose single packet exceeds this.
    max_packet_bytes: int = Field(default=4_194_304, ge=1024)
    # Parallel readers of the UI streams this gateway relays.
    relay_shards: int = Field(default=4, ge=1, le=64)
    # Redis connections this gateway may hold; commands wait for a free one rather
    # than opening more under a burst (each shard's XREAD holds one).
    redis_max_connections: int = Field(default=32, ge=8, le=1024)
    upstream_timeout: float = Field(default=10.0, gt=0)
    auth_secret: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("CHAINLIT_AUTH_SECRET", "SWITCHBOARD_AUTH_SECRET"),
    )
    cookie_name: str = Field(
        default="access_token", validation_alias=AliasChoices("CHAINLIT_AUTH_COOKIE_NAME")
    )
    # How long POST /project/action waits for the worker running the callback.
    action_timeout: float = Field(default=120.0, gt=0)
    # How long a request waits for an app hook run in a worker (shared-thread view).
    app_call_timeout: float = Field(default=10.0, gt=0)
    # Backpressure (0 turns a limit off): messages waiting per session, jobs in the
    # queue before new messages are shed, messages per user per minute, and packets
    # queued for one socket before it is dropped to resume from Redis.
    max_session_inputs: int = Field(default=20, ge=0)
    max_queue_depth: int = Field(default=10_000, ge=0)
    user_messages_per_minute: int = Field(default=120, ge=0)
    max_client_backlog: int = Field(default=5_000, ge=0)
    # Hard cap on any upload, whatever the ask or config allows.
    max_upload_mb: int = Field(default=100, ge=1)
