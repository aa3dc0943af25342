"""One loader for ``config.toml`` and the environment (prefix ``SWITCHBOARD_``).

``config.toml`` has Chainlit's sections (``[project]``, ``[features]``,
``[UI]``); every service reads the same file. Settings are built inside each
service's factory, never at import.
"""

from __future__ import annotations

import functools
import secrets
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from switchboard.names import RedisNames

__all__ = (
    "AppConfig",
    "AudioFeature",
    "ChainlitConfig",
    "ChainlitConfigOverrides",
    "ConfigError",
    "FeaturesConfig",
    "FeaturesSettings",
    "McpConfig",
    "McpFeature",
    "McpStdioConfig",
    "McpTransportConfig",
    "McpUserServers",
    "ProjectConfig",
    "ProjectSettings",
    "Settings",
    "SpontaneousFileUploadFeature",
    "UISettings",
    "UiConfig",
    "apply_overrides",
    "config",
    "load_app_config",
)

ENV_PREFIX = "SWITCHBOARD_"


class ConfigError(ValueError):
    """The configuration cannot be used; the message says which key and why."""


class ProjectConfig(BaseModel):
    model_config = ConfigDict(extra="ignore")

    allow_origins: list[str] = Field(default_factory=lambda: ["*"])
    transports: list[str] | None = None
    user_env: list[str] = Field(default_factory=list)
    session_timeout: int = Field(default=300, ge=0)
    user_session_timeout: int = Field(default=1_296_000, ge=1)
    cache: bool = False
    persist_user_env: bool = False
    mask_user_env: bool = False
    # Switchboard only: an input whose worker died mid-run runs once more instead of
    # being reported as failed (every callback must then be safe to repeat).
    retry_lost_inputs: bool = False


class SpontaneousFileUpload(BaseModel):
    model_config = ConfigDict(extra="ignore")

    enabled: bool = True
    accept: list[str] | dict[str, list[str]] = Field(default_factory=lambda: ["*/*"])
    max_files: int = 20
    max_size_mb: int = 500


class AudioConfig(BaseModel):
    """``[features.audio]``. Chainlit 2.12 knows ``enabled`` and ``sample_rate`` only;
    the voice activity keys are Chainlit 1.x's, honoured by our web UI's microphone
    when set (unset: it records until the user stops, as Chainlit 2.12's UI does)."""

    model_config = ConfigDict(extra="ignore")

    enabled: bool = False
    sample_rate: int = 24000
    # Loudness (dBFS) above which a chunk counts as speech.
    min_decibels: float | None = Field(default=None, le=0)
    # Stop when nobody speaks within this many ms of the start.
    initial_silence_timeout: int | None = Field(default=None, gt=0)
    # Stop after this many ms of silence following speech.
    silence_timeout: int | None = Field(default=None, gt=0)
    # Stop after this many ms whatever is heard.
    max_duration: int | None = Field(default=None, gt=0)


class McpTransportConfig(BaseModel):
    """``[features.mcp.sse]`` / ``[features.mcp.streamable-http]``."""

    model_config = ConfigDict(extra="ignore")

    enabled: bool = True


class McpStdioConfig(BaseModel):
    """``[features.mcp.stdio]``: commands a user may have the worker run.

    Chainlit's keys. Unlike Chainlit, an empty ``allowed_executables`` allows nothing:
    a stdio server runs a program on the worker, so each one is listed on purpose.
    """

    model_config = ConfigDict(extra="ignore")

    enabled: bool = True
    allowed_executables: list[str] = Field(default_factory=list)


class McpUserServers(BaseModel):
    """``[features.mcp.user_servers]``: what a user may point an SSE or HTTP server at.

    ``enabled``: whether users may add SSE / streamable-HTTP servers (Chainlit 2.12).
    Unset, it follows the config's schema: a config with ``[[features.mcp.servers]]``
    is Chainlit 2.12's, where it defaults to false; one without is Chainlit 2.11's,
    where ``[features.mcp.sse]`` / ``[features.mcp.streamable-http]`` alone decide.
    ``allowed_urls`` lists URL prefixes (scheme, host and port exactly, path as a
    subtree): a user-supplied server URL must fall under one of them. Unset, any
    http(s) URL is allowed (Chainlit 2.11's behaviour); an empty list allows none.
    """

    model_config = ConfigDict(extra="ignore")

    enabled: bool | None = None
    allowed_urls: list[str] | None = None


class McpConfig(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    enabled: bool = False
    sse: McpTransportConfig = Field(default_factory=McpTransportConfig)
    streamable_http: McpTransportConfig = Field(
        default_factory=McpTransportConfig, alias="streamable-http"
    )
    stdio: McpStdioConfig = Field(default_factory=McpStdioConfig)
    # ``[[features.mcp.servers]]``: servers the operator configures, opened for every
    # chat when it starts (``switchboard.mcp_policy.configured_specs`` reads them).
    servers: list[dict[str, Any]] = Field(default_factory=list)
    user_servers: McpUserServers = Field(default_factory=McpUserServers)


class FeaturesConfig(BaseModel):
    model_config = ConfigDict(extra="allow")

    unsafe_allow_html: bool = False
    latex: bool = False
    user_message_markdown: bool = True
    user_message_autoscroll: bool = True
    assistant_message_autoscroll: bool = True
    auto_tag_thread: bool = True
    edit_message: bool = True
    allow_thread_sharing: bool = False
    favorites: bool = False
    # Chainlit's generated config.toml turns uploads on (any type, 20 files, 500 MB each);
    # an app without that section gets the same. ``enabled = false`` turns them off.
    spontaneous_file_upload: SpontaneousFileUpload | None = Field(
        default_factory=SpontaneousFileUpload
    )
    audio: AudioConfig = Field(default_factory=AudioConfig)
    mcp: McpConfig = Field(default_factory=McpConfig)


class UiConfig(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str = "Assistant"
    description: str = ""
    cot: Literal["hidden", "tool_call", "full"] = "full"
    default_theme: Literal["light", "dark"] = "dark"
    language: str | None = None
    layout: Literal["default", "wide"] = "default"
    default_sidebar_state: Literal["open", "closed", "hidden"] = "open"
    chat_settings_location: Literal["message_composer", "sidebar"] = "message_composer"
    default_chat_settings_open: bool = False
    confirm_new_chat: bool = True
    github: str | None = None
    custom_css: str | None = None
    custom_js: str | None = None
    alert_style: Literal["classic", "modern"] = "classic"
    login_page_image: str | None = None
    login_page_image_filter: str | None = None
    login_page_image_dark_filter: str | None = None
    header_links: list[dict[str, Any]] | None = None


class AppConfig(BaseModel):
    """The parsed ``config.toml``."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    project: ProjectConfig = Field(default_factory=ProjectConfig)
    features: FeaturesConfig = Field(default_factory=FeaturesConfig)
    ui: UiConfig = Field(default_factory=UiConfig, alias="UI")


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def apply_overrides(config: AppConfig, overrides: dict[str, Any]) -> AppConfig:
    """A chat profile's ``config_overrides`` deep-merged into the configuration."""
    data = config.model_dump(by_alias=False)
    patch = {key.lower(): value for key, value in overrides.items() if isinstance(value, dict)}
    return AppConfig.model_validate(_merge(data, patch))


def load_app_config(path: Path | None) -> AppConfig:
    """Read ``config.toml``; a missing path gives the defaults."""
    if path is None or not path.exists():
        return AppConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    try:
        return AppConfig.model_validate(data)
    except ValueError as exc:
        raise ConfigError(f"invalid {path}: {exc}") from exc


class Settings(BaseSettings):
    """Environment shared by every service; services subclass it for their own keys."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_prefix: str = "sb"
    config_file: Path | None = None
    # Signs the short-lived tokens services present to each other.
    service_secret: SecretStr = Field(default_factory=lambda: SecretStr(""))
    log_level: str = "INFO"
    log_json: bool = True

    gateway_url: str = "http://127.0.0.1:8000"
    sessions_url: str = "http://127.0.0.1:8001"
    auth_url: str = "http://127.0.0.1:8002"
    persistence_url: str = "http://127.0.0.1:8003"

    @field_validator("service_secret")
    @classmethod
    def _secret_strength(cls, value: SecretStr) -> SecretStr:
        raw = value.get_secret_value()
        if raw and len(raw) < 32:
            raise ValueError("SWITCHBOARD_SERVICE_SECRET must be at least 32 characters")
        return value

    def require_service_secret(self) -> str:
        raw = self.service_secret.get_secret_value()
        if not raw:
            raise ConfigError(
                "SWITCHBOARD_SERVICE_SECRET is not set; generate one with "
                "`switchboard create-secret` and give the same value to every service"
            )
        return raw

    @property
    def names(self) -> RedisNames:
        return RedisNames(self.redis_prefix)

    def app_config(self) -> AppConfig:
        return load_app_config(self.config_file)


def generate_secret(length: int = 64) -> str:
    return secrets.token_urlsafe(length)[:length]


# Chainlit's names for the same models (``chainlit.config``), for app code.
ProjectSettings = ProjectConfig
FeaturesSettings = FeaturesConfig
UISettings = UiConfig
McpFeature = McpConfig
AudioFeature = AudioConfig
SpontaneousFileUploadFeature = SpontaneousFileUpload
ChainlitConfig = AppConfig


class ChainlitConfigOverrides(BaseModel):
    """A chat profile's ``config_overrides``: only the fields given are applied."""

    ui: UiConfig | None = None
    features: FeaturesConfig | None = None
    project: ProjectConfig | None = None

    def to_overrides(self) -> dict[str, Any]:
        """The deep-merge patch ``apply_overrides`` takes: what the app set, nothing else."""
        patch: dict[str, Any] = self.model_dump(exclude_unset=True)
        return patch


@functools.cache
def _app_config_from_env() -> AppConfig:
    return Settings().app_config()


if TYPE_CHECKING:
    config: AppConfig
else:

    def __getattr__(name: str) -> Any:
        # ``from chainlit.config import config``: this process's config.toml, read on
        # first use (never at import). Changing it changes this worker's copy only.
        # (Defined for the interpreter only, so the type checker still flags typos.)
        if name == "config":
            return _app_config_from_env()
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
