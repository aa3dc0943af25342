"""Gateway settings (env prefix ``SWITCHBOARD_``)."""

from __future__ import annotations

import ipaddress
import uuid
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import NoDecode

from switchboard.config import Settings
from switchboard_gateway.event_limits import EventRule
from switchboard_gateway.origins import normalise_origin

__all__ = ("GatewaySettings",)


class GatewaySettings(Settings):
    host: str = Field(
        default="127.0.0.1", validation_alias=AliasChoices("SWITCHBOARD_GATEWAY_HOST")
    )
    port: int = Field(default=8000, validation_alias=AliasChoices("SWITCHBOARD_GATEWAY_PORT"))
    # Operations listener (/readyz, /metrics, /openapi.json, /docs): probes and Prometheus
    # reach it, the public proxy must not. Its host defaults to the public one.
    ops_host: str | None = Field(
        default=None, validation_alias=AliasChoices("SWITCHBOARD_GATEWAY_OPS_HOST")
    )
    ops_port: int = Field(
        default=8090, ge=1, le=65535, validation_alias=AliasChoices("SWITCHBOARD_GATEWAY_OPS_PORT")
    )
    # Proxies whose X-Forwarded-For/-Proto/-Host headers are believed: addresses or
    # CIDRs, comma-separated. Empty: the peer is the client and those headers are ignored.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Other origins whose pages may call this gateway with the user's cookie
    # (comma-separated), besides its own origin and the public URL's.
    allowed_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    public_url: str | None = Field(
        default=None, validation_alias=AliasChoices("CHAINLIT_URL", "SWITCHBOARD_PUBLIC_URL")
    )
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
    # POST/DELETE /mcp wait this long for the worker (it may first finish a running input).
    mcp_timeout: float = Field(default=150.0, gt=0)
    # Backpressure (0 turns a limit off): messages waiting per session, jobs in the
    # queue before new messages are shed, messages per user per minute, and packets
    # queued for one socket before it is dropped to resume from Redis.
    max_session_inputs: int = Field(default=20, ge=0)
    max_queue_depth: int = Field(default=10_000, ge=0)
    user_messages_per_minute: int = Field(default=120, ge=0)
    max_client_backlog: int = Field(default=5_000, ge=0)
    # Hard cap on any upload, whatever the ask or config allows.
    max_upload_mb: int = Field(default=100, ge=1)
    # The app's public/ folder (/public/..., theme.json, logos, avatars). Unset: the
    # `public` folder beside the `.chainlit/` folder holding the config file.
    public_dir: Path | None = None
    # The built web UI to serve (a folder holding index.html and assets/), such as
    # Chainlit's stock frontend/dist. Unset: the UI built into the gateway package.
    web_dist: Path | None = None
    # Per kind of client event: largest payload and per-socket rate, merged over
    # event_limits.DEFAULT_RULES (JSON, e.g. {"window_message": {"max_bytes": 4096,
    # "per_second": 1, "burst": 5}}).
    event_limits: dict[str, EventRule] = Field(default_factory=dict)
    # How often open sockets' tokens are checked again (expiry, logout, changed
    # credentials), behind the revocation messages that may be missed.
    token_recheck_s: float = Field(default=30.0, gt=0)

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxies(cls, value: object) -> list[str]:
        entries = _split(value)
        for entry in entries:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError as exc:
                raise ValueError(
                    f"SWITCHBOARD_TRUSTED_PROXIES: {entry!r} is not an address or CIDR"
                ) from exc
        return entries

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _origins(cls, value: object) -> list[str]:
        entries = _split(value)
        for entry in entries:
            if normalise_origin(entry) is None:
                raise ValueError(
                    f"SWITCHBOARD_ALLOWED_ORIGINS: {entry!r} is not an origin like "
                    "https://app.example.com ('*' is not accepted: it would hand the "
                    "user's cookie to every site)"
                )
        return entries

    @field_validator("public_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("public_dir", "web_dist", mode="before")
    @classmethod
    def _blank_dir_is_unset(cls, value: object) -> object:
        # An empty variable must not become Path(""), the working directory.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("web_dist")
    @classmethod
    def _built_ui(cls, value: Path | None) -> Path | None:
        if value is not None and not (value / "index.html").is_file():
            raise ValueError(f"SWITCHBOARD_WEB_DIST: {value} holds no index.html")
        return value

    def origin_allowlist(self, app_origins: list[str]) -> list[str]:
        """Origins allowed besides the request's own; the app's ``"*"`` is dropped."""
        listed = [*self.allowed_origins, *(o for o in app_origins if o.strip() != "*")]
        if self.public_url:
            listed.append(self.public_url)
        return listed


def _split(value: object) -> list[str]:
    """A comma- or space-separated string (or a list) as a list of entries."""
    if value is None:
        return []
    if isinstance(value, str):
        return value.replace(",", " ").split()
    if isinstance(value, list | tuple):
        return [str(item).strip() for item in value if str(item).strip()]
    raise ValueError(f"expected a comma-separated list, got {value!r}")
