"""Object storage backends, each against the real thing: a folder, an S3 server (moto), a GCS
emulator (fake-gcs-server) and an Azure Blob emulator (Azurite); all but the folder behind
the spool, as the service runs them."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest
from persistence_support import make_settings, s3_overrides
from storage_servers import azure_overrides, gcs_overrides

from switchboard.config import ConfigError
from switchboard_persistence.storage import (
    InvalidObjectKey,
    LocalStorage,
    ObjectNotFound,
    ObjectStorage,
    S3Storage,
    SpoolingStorage,
    file_key,
    make_storage,
)
from switchboard_persistence.storage.azure import AzureStorage
from switchboard_persistence.storage.gcs import GcsStorage
from switchboard_persistence.storage.s3 import PART_SIZE
from tests.support import azurite


async def _read(storage: ObjectStorage, key: str) -> bytes:
    return b"".join([chunk async for chunk in await storage.open(key)])


async def test_put_read_replace_delete(storage: ObjectStorage) -> None:
    key = file_key("f1", thread_id="t1", session_id="s1")
    assert key == "threads/t1/files/f1"
    assert not await storage.exists(key)
    await storage.put(key, io.BytesIO(b"hello"), 5, "text/plain")
    assert await storage.exists(key)
    assert await _read(storage, key) == b"hello"
    await storage.put(key, io.BytesIO(b"bye"), 3, "text/plain")
    assert await _read(storage, key) == b"bye"
    await storage.delete(key)
    assert not await storage.exists(key)
    await storage.delete(key)  # already gone: not an error
    with pytest.raises(ObjectNotFound):
        await storage.open(key)


async def test_large_objects_stream_both_ways(storage: ObjectStorage) -> None:
    """Past the part size uploads go in parts (S3 multipart, GCS resumable, Azure blocks);
    reads come back in chunks."""
    size = PART_SIZE + 1024 * 1024 + 7
    payload = os.urandom(size)
    key = file_key("big", thread_id=None, session_id="sess")
    assert key == "sessions/sess/files/big"
    await storage.put(key, io.BytesIO(payload), size, "application/octet-stream")
    chunks = [chunk async for chunk in await storage.open(key)]
    assert len(chunks) > 1
    assert b"".join(chunks) == payload


async def test_uploads_read_from_the_streams_position(storage: ObjectStorage) -> None:
    """The spool hands over its files just past their header."""
    size = 9 * 1024 * 1024  # past 8 MiB GCS uploads are resumable, which seek within the stream
    payload = os.urandom(size)
    stream = io.BytesIO(b"header\n" + payload)
    stream.seek(len(b"header\n"))
    key = file_key("offset", thread_id="t-offset", session_id=None)
    await storage.put(key, stream, size, "application/octet-stream")
    assert await _read(storage, key) == payload


async def test_missing_objects_are_reported_before_any_byte(storage: ObjectStorage) -> None:
    key = file_key("never", thread_id="t-missing", session_id=None)
    assert not await storage.exists(key)
    with pytest.raises(ObjectNotFound):
        await storage.open(key)
    await storage.delete(key)  # nothing there: not an error
    await storage.put(key, io.BytesIO(b""), 0, "text/plain")  # an empty file is an object
    assert await storage.exists(key)
    assert await _read(storage, key) == b""


@pytest.mark.parametrize(
    "key",
    ["../etc/passwd", "threads/../../x", "/etc/passwd", "threads//f", "threads/a/.", "a", ""],
)
async def test_keys_outside_the_scheme_are_refused(storage: ObjectStorage, key: str) -> None:
    with pytest.raises(InvalidObjectKey):
        await storage.put(key, io.BytesIO(b"x"), 1, "text/plain")
    with pytest.raises(InvalidObjectKey):
        await storage.open(key)
    with pytest.raises(InvalidObjectKey):
        await storage.delete(key)


@pytest.mark.parametrize(
    ("file_id", "thread_id", "session_id"),
    [("..", "t", None), ("f", "../t", None), ("f", None, "s/../x"), ("f", None, None)],
)
def test_file_keys_take_only_plain_ids(
    file_id: str, thread_id: str | None, session_id: str | None
) -> None:
    with pytest.raises(InvalidObjectKey):
        file_key(file_id, thread_id=thread_id, session_id=session_id)


async def test_local_storage_stays_in_its_folder(tmp_path: Path) -> None:
    root = tmp_path / "objects"
    storage = LocalStorage(root)
    await storage.start()
    await storage.put("threads/t/files/f", io.BytesIO(b"data"), 4, "text/plain")
    assert (root / "threads" / "t" / "files" / "f").read_bytes() == b"data"
    assert [p.name for p in (root / "threads" / "t" / "files").iterdir()] == ["f"]  # no temp left


def _remote_overrides(request: pytest.FixtureRequest, kind: str, spool: Path) -> dict[str, Any]:
    if kind == "gcs":
        return gcs_overrides(request.getfixturevalue("gcs_endpoint"), spool)
    if kind == "azure":
        return azure_overrides(request.getfixturevalue("azurite_port"), spool)
    return s3_overrides(request.getfixturevalue("moto_endpoint"), spool)


@pytest.mark.parametrize(
    ("kind", "backend"), [("s3", S3Storage), ("gcs", GcsStorage), ("azure", AzureStorage)]
)
async def test_the_bucket_is_created_once_and_reused(
    request: pytest.FixtureRequest, kind: str, backend: type, tmp_path: Path
) -> None:
    overrides: dict[str, Any] = {
        **_remote_overrides(request, kind, tmp_path),
        "storage_spool_max_bytes": 0,
    }
    first = make_storage(make_settings(**overrides))
    if kind == "azure":  # the other way to name an account: its URL and key
        port = request.getfixturevalue("azurite_port")
        overrides = {
            **overrides,
            "azure_connection_string": None,
            "azure_account_url": azurite.account_url(port),
            "azure_account_name": azurite.ACCOUNT_NAME,
            "azure_account_key": azurite.ACCOUNT_KEY,
        }
    second = make_storage(make_settings(**overrides))
    assert isinstance(first, backend) and isinstance(second, backend)  # no spool at size 0
    try:
        await first.start()
        await second.start()  # the bucket exists already
        await first.put("sessions/s/files/f", io.BytesIO(b"shared"), 6, "text/plain")
        assert await _read(second, "sessions/s/files/f") == b"shared"
    finally:
        await first.close()
        await second.close()


def test_backend_choice_follows_the_settings(tmp_path: Path) -> None:
    assert isinstance(make_storage(make_settings(storage_dir=tmp_path)), LocalStorage)
    s3 = make_settings(s3_endpoint="https://s3.example.com", storage_spool_dir=tmp_path)
    assert s3.storage == "s3"
    spooled = make_storage(s3)
    assert isinstance(spooled, SpoolingStorage)  # S3 comes behind a local spool
    assert isinstance(spooled.primary, S3Storage)
    assert spooled.root == tmp_path.resolve()
    local = make_settings(s3_endpoint="s3.example.com", storage_backend="local")
    assert local.storage == "local"
    with pytest.raises(ConfigError):
        make_storage(make_settings(storage_backend="s3"))
    gcs = make_storage(
        make_settings(storage_backend="gcs", gcs_anonymous=True, storage_spool_dir=tmp_path)
    )
    assert isinstance(gcs, SpoolingStorage) and isinstance(gcs.primary, GcsStorage)
    azure = make_storage(
        make_settings(
            storage_backend="azure",
            azure_account_name="acct",
            azure_sas_token="sv=2024-01-01&sig=x",
            storage_spool_dir=tmp_path,
        )
    )
    assert isinstance(azure, SpoolingStorage) and isinstance(azure.primary, AzureStorage)
    with pytest.raises(ConfigError, match="SWITCHBOARD_AZURE_CONNECTION_STRING"):
        make_storage(make_settings(storage_backend="azure", azure_account_name="acct"))
    with pytest.raises(ConfigError, match="SWITCHBOARD_AZURE_ACCOUNT_URL"):
        make_storage(make_settings(storage_backend="azure"))


def test_storage_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "SWITCHBOARD_STORAGE_BACKEND": "s3",
        "SWITCHBOARD_S3_ENDPOINT": "minio:9000",
        "SWITCHBOARD_S3_BUCKET": "bucket-a",
        "SWITCHBOARD_S3_ACCESS_KEY": "ak",
        "SWITCHBOARD_S3_SECRET_KEY": "sk",
        "SWITCHBOARD_S3_REGION": "eu-west-1",
        "SWITCHBOARD_S3_SECURE": "false",
        "SWITCHBOARD_PERSISTENCE_MAX_FILE_BYTES": "1234",
        "SWITCHBOARD_STORAGE_SPOOL_DIR": "/var/spool/sb",
        "SWITCHBOARD_STORAGE_SPOOL_MAX_BYTES": "4096",
        "SWITCHBOARD_STORAGE_SPOOL_RETRY_MAX_S": "2.5",
    }.items():
        monkeypatch.setenv(name, value)
    settings = make_settings()
    assert (settings.storage, settings.s3_endpoint, settings.s3_bucket) == (
        "s3",
        "minio:9000",
        "bucket-a",
    )
    assert settings.s3_secret_key is not None
    assert settings.s3_secret_key.get_secret_value() == "sk"
    assert (settings.s3_region, settings.s3_secure, settings.max_file_bytes) == (
        "eu-west-1",
        False,
        1234,
    )
    assert (
        settings.storage_spool_dir,
        settings.storage_spool_max_bytes,
        settings.storage_spool_retry_max_s,
    ) == (Path("/var/spool/sb"), 4096, 2.5)


def test_gcs_and_azure_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "SWITCHBOARD_STORAGE_BACKEND": "gcs",
        "SWITCHBOARD_GCS_BUCKET": "bucket-g",
        "SWITCHBOARD_GCS_PROJECT": "proj",
        "SWITCHBOARD_GCS_ENDPOINT": "http://gcs:4443",
        "SWITCHBOARD_GCS_CREDENTIALS_FILE": "/run/secrets/gcs.json",
        "SWITCHBOARD_GCS_ANONYMOUS": "true",
        "SWITCHBOARD_AZURE_CONTAINER": "container-a",
        "SWITCHBOARD_AZURE_CONNECTION_STRING": "UseDevelopmentStorage=true",
        "SWITCHBOARD_AZURE_ACCOUNT_URL": "https://acct.blob.core.windows.net",
        "SWITCHBOARD_AZURE_ACCOUNT_NAME": "acct",
        "SWITCHBOARD_AZURE_ACCOUNT_KEY": "key",
        "SWITCHBOARD_AZURE_SAS_TOKEN": "sv=x",
    }.items():
        monkeypatch.setenv(name, value)
    settings = make_settings()
    assert (settings.storage, settings.gcs_bucket, settings.gcs_project) == (
        "gcs",
        "bucket-g",
        "proj",
    )
    assert (settings.gcs_endpoint, settings.gcs_credentials_file, settings.gcs_anonymous) == (
        "http://gcs:4443",
        Path("/run/secrets/gcs.json"),
        True,
    )
    assert (settings.azure_container, settings.azure_account_url, settings.azure_account_name) == (
        "container-a",
        "https://acct.blob.core.windows.net",
        "acct",
    )
    secrets = (
        settings.azure_connection_string,
        settings.azure_account_key,
        settings.azure_sas_token,
    )
    assert [s.get_secret_value() if s else None for s in secrets] == [
        "UseDevelopmentStorage=true",
        "key",
        "sv=x",
    ]
