"""Object storage backends, each against the real thing: a folder, and an S3 server (moto)."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest
from persistence_support import make_settings, s3_overrides

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
from switchboard_persistence.storage.s3 import PART_SIZE


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
    """Past the part size the S3 upload is multipart; reads come back in chunks."""
    size = PART_SIZE + 1024 * 1024 + 7
    payload = os.urandom(size)
    key = file_key("big", thread_id=None, session_id="sess")
    assert key == "sessions/sess/files/big"
    await storage.put(key, io.BytesIO(payload), size, "application/octet-stream")
    chunks = [chunk async for chunk in await storage.open(key)]
    assert len(chunks) > 1
    assert b"".join(chunks) == payload


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


async def test_s3_bucket_is_created_once_and_reused(moto_endpoint: str, tmp_path: Path) -> None:
    overrides: dict[str, Any] = {
        **s3_overrides(moto_endpoint, tmp_path),
        "storage_spool_max_bytes": 0,
    }
    first = make_storage(make_settings(**overrides))
    second = make_storage(make_settings(**overrides))
    assert isinstance(first, S3Storage)  # no spool when its size is 0
    await first.start()
    await second.start()  # the bucket exists already
    await first.put("sessions/s/files/f", io.BytesIO(b"shared"), 6, "text/plain")
    assert await _read(second, "sessions/s/files/f") == b"shared"


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
