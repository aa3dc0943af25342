"""Object storage for file contents: local disk by default, S3-compatible when configured."""

from __future__ import annotations

from switchboard.config import ConfigError
from switchboard_persistence.settings import PersistenceSettings
from switchboard_persistence.storage.base import (
    InvalidObjectKey,
    ObjectNotFound,
    ObjectStorage,
    check_key,
    file_key,
)
from switchboard_persistence.storage.local import LocalStorage
from switchboard_persistence.storage.s3 import S3Config, S3Storage

__all__ = (
    "InvalidObjectKey",
    "LocalStorage",
    "ObjectNotFound",
    "ObjectStorage",
    "S3Config",
    "S3Storage",
    "check_key",
    "file_key",
    "make_storage",
)


def make_storage(settings: PersistenceSettings) -> ObjectStorage:
    """The backend the settings choose (see ``PersistenceSettings.storage``)."""
    if settings.storage == "local":
        return LocalStorage(settings.storage_dir)
    if not settings.s3_endpoint:
        raise ConfigError("SWITCHBOARD_S3_ENDPOINT is required for the s3 storage backend")
    secret = settings.s3_secret_key
    return S3Storage(
        S3Config(
            endpoint=settings.s3_endpoint,
            bucket=settings.s3_bucket,
            access_key=settings.s3_access_key,
            secret_key=secret.get_secret_value() if secret is not None else None,
            region=settings.s3_region,
            secure=settings.s3_secure,
        )
    )
