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
from switchboard_persistence.storage.s3 import S3Config, S3Storage, unreachable
from switchboard_persistence.storage.spool import SpoolingStorage

__all__ = (
    "InvalidObjectKey",
    "LocalStorage",
    "ObjectNotFound",
    "ObjectStorage",
    "S3Config",
    "S3Storage",
    "SpoolingStorage",
    "check_key",
    "file_key",
    "make_storage",
)


def make_storage(settings: PersistenceSettings) -> ObjectStorage:
    """The backend the settings choose (see ``PersistenceSettings.storage``).

    S3 comes behind a local spool that takes writes while the server is unreachable,
    unless ``storage_spool_max_bytes`` is 0.
    """
    if settings.storage == "local":
        return LocalStorage(settings.storage_dir)
    if not settings.s3_endpoint:
        raise ConfigError("SWITCHBOARD_S3_ENDPOINT is required for the s3 storage backend")
    secret = settings.s3_secret_key
    s3 = S3Storage(
        S3Config(
            endpoint=settings.s3_endpoint,
            bucket=settings.s3_bucket,
            access_key=settings.s3_access_key,
            secret_key=secret.get_secret_value() if secret is not None else None,
            region=settings.s3_region,
            secure=settings.s3_secure,
        )
    )
    if settings.storage_spool_max_bytes == 0:
        return s3
    return SpoolingStorage(
        s3,
        settings.storage_spool_dir,
        max_bytes=settings.storage_spool_max_bytes,
        unavailable=unreachable,
        retry_max=settings.storage_spool_retry_max_s,
    )
