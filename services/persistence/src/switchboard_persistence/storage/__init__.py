"""Object storage for file contents: local disk by default; S3, GCS or Azure when configured."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from pydantic import SecretStr

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

if TYPE_CHECKING:
    from switchboard_persistence.storage import azure, gcs

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

    S3, GCS and Azure come behind a local spool that takes writes while the server is
    unreachable, unless ``storage_spool_max_bytes`` is 0.
    """
    if settings.storage == "local":
        return LocalStorage(settings.storage_dir)
    primary, unavailable = _remote(settings)
    if settings.storage_spool_max_bytes == 0:
        return primary
    return SpoolingStorage(
        primary,
        settings.storage_spool_dir,
        max_bytes=settings.storage_spool_max_bytes,
        unavailable=unavailable,
        retry_max=settings.storage_spool_retry_max_s,
    )


Outage = Callable[[BaseException], bool]


def _remote(settings: PersistenceSettings) -> tuple[ObjectStorage, Outage]:
    """The remote store and its test for errors that mean "unreachable".

    The GCS and Azure SDKs are imported only when chosen: they are slow to import.
    """
    if settings.storage == "gcs":
        from switchboard_persistence.storage import gcs

        return gcs.GcsStorage(_gcs_config(settings)), gcs.unreachable
    if settings.storage == "azure":
        from switchboard_persistence.storage import azure

        return azure.AzureStorage(_azure_config(settings)), azure.unreachable
    if not settings.s3_endpoint:
        raise ConfigError("SWITCHBOARD_S3_ENDPOINT is required for the s3 storage backend")
    config = S3Config(
        endpoint=settings.s3_endpoint,
        bucket=settings.s3_bucket,
        access_key=settings.s3_access_key,
        secret_key=_secret(settings.s3_secret_key),
        region=settings.s3_region,
        secure=settings.s3_secure,
    )
    return S3Storage(config), unreachable


def _gcs_config(settings: PersistenceSettings) -> gcs.GcsConfig:
    from switchboard_persistence.storage import gcs

    return gcs.GcsConfig(
        bucket=settings.gcs_bucket,
        project=settings.gcs_project,
        endpoint=settings.gcs_endpoint,
        credentials_file=settings.gcs_credentials_file,
        anonymous=settings.gcs_anonymous,
    )


def _azure_config(settings: PersistenceSettings) -> azure.AzureConfig:
    from switchboard_persistence.storage import azure

    return azure.AzureConfig(
        container=settings.azure_container,
        connection_string=_secret(settings.azure_connection_string),
        account_url=settings.azure_account_url,
        account_name=settings.azure_account_name,
        account_key=_secret(settings.azure_account_key),
        sas_token=_secret(settings.azure_sas_token),
    )


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None
