"""Persistence service settings: the shared environment plus its database and consumer."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from switchboard.config import ENV_PREFIX, Settings

__all__ = ("PersistenceSettings", "SchemaMode", "StorageBackend", "normalise_database_url")

_SQLITE = "sqlite+aiosqlite:///"

StorageBackend = Literal["local", "s3", "gcs", "azure"]
# Where conversations live: Switchboard's own tables, a database Chainlit's SQLAlchemy
# data layer created and keeps using, or the app's own ``@cl.data_layer``
# (docs/persistence-api.md, "Storage modes").
SchemaMode = Literal["switchboard", "chainlit", "app"]


def _default_consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def _asyncpg_query(url: str) -> str:
    """libpq's ``sslmode`` is spelled ``ssl`` by asyncpg; operators paste libpq URLs."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    query = [("ssl" if key == "sslmode" else key, value) for key, value in parse_qsl(parts.query)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def normalise_database_url(url: str) -> str:
    """An async SQLAlchemy URL from what operators usually write (``postgres://``, ``sqlite:///``).

    For SQLite the file's folder is created, so the embedded default works from a clean checkout.
    """
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            url = "postgresql+asyncpg://" + url[len(plain) :]
    if url.startswith("postgresql+asyncpg://"):
        return _asyncpg_query(url)
    if url.startswith("sqlite:///"):
        url = _SQLITE + url[len("sqlite:///") :]
    if url.startswith(_SQLITE):
        path = url[len(_SQLITE) :].split("?", 1)[0]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    return url


# The ignore is for checkers that see ``switchboard`` as untyped (no py.typed marker in shared).
class PersistenceSettings(Settings):  # type: ignore[misc,unused-ignore]
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", populate_by_name=True)

    host: str = Field(
        default="127.0.0.1", validation_alias=AliasChoices("SWITCHBOARD_PERSISTENCE_HOST")
    )
    port: int = Field(default=8003, validation_alias=AliasChoices("SWITCHBOARD_PERSISTENCE_PORT"))
    database_url: str = "sqlite+aiosqlite:///.switchboard/switchboard.db"
    # ``chainlit``: threads, steps, elements and feedback are read from and written to
    # ``chainlit_database_url`` in Chainlit's schema, never migrated; ``database_url`` still
    # holds Switchboard's own rows (uploaded files).
    persistence_schema: SchemaMode = "switchboard"
    chainlit_database_url: str | None = None
    # ``app``: the app module whose ``@cl.data_layer`` stores conversations (the same
    # SWITCHBOARD_APP workers load).
    app: Path | None = None
    db_pool_size: int = Field(default=20, ge=1)
    db_max_overflow: int = Field(default=20, ge=0)
    db_pool_timeout: float = Field(default=30.0, gt=0)

    # Unique per process: the consumer group tracks pending entries by this name.
    consumer_name: str = Field(default_factory=_default_consumer_name, min_length=1)
    batch_size: int = Field(default=200, ge=1, le=10_000)
    # Entries another consumer has held this long without acking are taken over.
    claim_idle_ms: int = Field(default=30_000, ge=1)
    # An entry that fails this many deliveries goes to the dead-letter stream.
    max_deliveries: int = Field(default=5, ge=1)

    # Object storage for uploaded files and element content. Unset: S3 when an endpoint is
    # configured, else local disk (the embedded default). GCS and Azure are chosen by name.
    storage_backend: StorageBackend | None = None
    storage_dir: Path = Path(".switchboard/files")
    s3_endpoint: str | None = None  # host[:port], or a URL whose scheme sets ``s3_secure``
    s3_bucket: str = "switchboard"
    s3_access_key: str | None = None
    s3_secret_key: SecretStr | None = None
    s3_region: str | None = None
    s3_secure: bool = True
    # Google Cloud Storage: service-account key file, else Application Default Credentials;
    # ``gcs_anonymous`` for an emulator. ``gcs_endpoint`` is a URL (emulators), unset: Google's.
    gcs_bucket: str = "switchboard"
    gcs_project: str | None = None
    gcs_endpoint: str | None = None
    gcs_credentials_file: Path | None = None
    gcs_anonymous: bool = False
    # Azure Blob Storage (also ADLS Gen2 accounts, through their blob endpoint): a connection
    # string, or the account's URL with its key or a SAS token.
    azure_container: str = "switchboard"
    azure_connection_string: SecretStr | None = None
    azure_account_url: str | None = None
    azure_account_name: str | None = None
    azure_account_key: SecretStr | None = None
    azure_sas_token: SecretStr | None = None
    # Writes that find the object store (S3, GCS, Azure) unreachable wait here (one folder per
    # process) and are uploaded when it is back; past ``storage_spool_max_bytes`` uploads get
    # 503. 0 disables.
    storage_spool_dir: Path = Path(".switchboard/storage-spool")
    storage_spool_max_bytes: int = Field(default=1024 * 1024 * 1024, ge=0)
    # Longest wait between two attempts to upload the spool (the first is 0.5 s, doubling).
    storage_spool_retry_max_s: float = Field(default=10.0, gt=0)
    # Uploads past this size are refused with 413 while they stream in.
    max_file_bytes: int = Field(
        default=500 * 1024 * 1024,
        ge=1,
        validation_alias=AliasChoices("SWITCHBOARD_PERSISTENCE_MAX_FILE_BYTES"),
    )

    @property
    def storage(self) -> StorageBackend:
        """The backend in use: the explicit choice, else S3 when an endpoint is set."""
        if self.storage_backend is not None:
            return self.storage_backend
        return "s3" if self.s3_endpoint else "local"

    @field_validator("database_url")
    @classmethod
    def _normalise(cls, value: str) -> str:
        return normalise_database_url(value)

    @field_validator("chainlit_database_url")
    @classmethod
    def _normalise_chainlit(cls, value: str | None) -> str | None:
        return normalise_database_url(value) if value else None

    @model_validator(mode="after")
    def _app_mode_needs_the_app(self) -> PersistenceSettings:
        if self.persistence_schema == "app" and self.app is None:
            raise ValueError(
                "SWITCHBOARD_PERSISTENCE_SCHEMA=app needs SWITCHBOARD_APP, the app module "
                "whose @cl.data_layer stores conversations"
            )
        return self

    @model_validator(mode="after")
    def _chainlit_needs_postgres(self) -> PersistenceSettings:
        if self.persistence_schema == "chainlit" and not (
            self.chainlit_database_url or ""
        ).startswith("postgresql+asyncpg://"):
            raise ValueError(
                "SWITCHBOARD_PERSISTENCE_SCHEMA=chainlit needs SWITCHBOARD_CHAINLIT_DATABASE_URL, "
                "the PostgreSQL database Chainlit's SQLAlchemy data layer uses"
            )
        return self
