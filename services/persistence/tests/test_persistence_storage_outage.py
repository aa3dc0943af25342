"""Object storage outages: uploads go to the local spool and reach S3 when it is back.

Against a real S3 server (moto, a subprocess of its own that the test stops and
starts again on the same port) and the real service over HTTP.
"""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from minio import Minio
from minio.error import S3Error
from persistence_support import (
    auth,
    new_id,
    s3_overrides,
    wait_for,
    with_overrides,
)
from sqlalchemy import func, select

from switchboard.schema import UserRef
from switchboard.stack import free_port
from switchboard_persistence.app import create_app
from switchboard_persistence.db.sql import FILES
from switchboard_persistence.repository import Repository
from switchboard_persistence.settings import PersistenceSettings
from switchboard_persistence.storage import S3Config, S3Storage, SpoolingStorage
from switchboard_persistence.storage.s3 import PART_SIZE, unreachable
from tests.support.s3 import spawn_moto, start_moto, stop_moto

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

ALICE = UserRef(identifier="alice-o", id="u-alice-o")


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://p")


async def _upload(client: httpx.AsyncClient, content: bytes, session_id: str) -> httpx.Response:
    return await client.post(
        "/files",
        params={"name": "f.bin", "session_id": session_id},
        content=content,
        headers={**auth(ALICE), "content-type": "application/x-test"},
    )


async def _download(client: httpx.AsyncClient, file_id: str) -> bytes:
    response = await client.get(f"/files/{file_id}", headers=auth(ALICE))
    assert response.status_code == 200, response.text
    return response.content


def _minio(endpoint: str) -> Minio:
    return Minio(endpoint, "testing", "testing", region="us-east-1", secure=False)


def _spooled_files(spool: Path) -> list[Path]:
    return [p for p in spool.rglob("*") if p.is_file()]


@SQLITE
async def test_uploads_during_an_s3_outage_reach_s3_when_it_returns(
    settings: PersistenceSettings, tmp_path: Path
) -> None:
    port = free_port()
    endpoint = f"127.0.0.1:{port}"
    log = tmp_path / "moto.log"
    spool = tmp_path / "spool"
    overrides = s3_overrides(endpoint, spool)
    bucket = overrides["s3_bucket"]
    server = start_moto(port, log)
    try:
        app = create_app(with_overrides(settings, **overrides, storage_spool_retry_max_s=0.5))
        async with app.router.lifespan_context(app), _client(app) as client:
            storage = app.state.storage
            assert isinstance(storage, SpoolingStorage)
            sid = new_id()
            before = await _upload(client, b"while S3 runs", sid)
            assert before.status_code == 200, before.text
            doomed = (await _upload(client, b"deleted during the outage", sid)).json()
            assert (storage.spooled_objects, storage.degraded) == (0, False)

            stop_moto(server)
            server = spawn_moto(port, log)  # loads, but does not listen yet
            payloads = [b"small", os.urandom(2 * 1024 * 1024), os.urandom(PART_SIZE + 12345)]
            stored: list[dict[str, str]] = []
            for payload in payloads:
                response = await _upload(client, payload, sid)
                assert response.status_code == 200, response.text
                stored.append(response.json())
            assert storage.degraded
            for payload, item in zip(payloads, stored, strict=True):
                assert await _download(client, item["id"]) == payload  # from the spool
            gone = await client.delete(f"/files/{doomed['id']}", headers=auth(ALICE))
            assert gone.json() == {"success": True}  # a tombstone waits in the spool
            assert (
                await client.get(f"/files/{doomed['id']}", headers=auth(ALICE))
            ).status_code == 404
            assert storage.spooled_objects == 4
            assert storage.spooled_bytes > sum(map(len, payloads))
            assert len(_spooled_files(spool)) == 4
            ready = await client.get("/readyz")
            assert ready.status_code == 200, ready.text  # the chat keeps working
            metrics = (await client.get("/metrics")).text
            assert "switchboard_persistence_storage_spooled_objects 4.0" in metrics
            assert "switchboard_persistence_storage_up 0.0" in metrics

            # The server comes back empty (moto keeps its data in memory): the bucket is
            # created again and the spool drains into it.
            server = start_moto(port, log, server)
            await wait_for(lambda: _count(storage), lambda n: n == 0, timeout=20)
            assert not storage.degraded
            assert storage.spooled_bytes == 0
            for payload, item in zip(payloads, stored, strict=True):
                assert await _download(client, item["id"]) == payload  # now from S3
            assert (await client.get("/readyz")).status_code == 200

        direct = _minio(endpoint)
        for payload, item in zip(payloads, stored, strict=True):
            response = direct.get_object(bucket, item["objectKey"])
            try:
                assert response.read() == payload
                assert response.headers["content-type"] == "application/x-test"
            finally:
                response.close()
                response.release_conn()
        with pytest.raises(S3Error) as missing:
            direct.stat_object(bucket, doomed["objectKey"])
        assert missing.value.code == "NoSuchKey"
        assert _spooled_files(spool) == []
    finally:
        stop_moto(server)


async def _count(storage: SpoolingStorage) -> int:
    return storage.spooled_objects


@SQLITE
async def test_the_spool_is_bounded(settings: PersistenceSettings, tmp_path: Path) -> None:
    """S3 down from the start: the service starts, spools up to the limit, then answers 503."""
    spool = tmp_path / "spool"
    overrides = s3_overrides(f"127.0.0.1:{free_port()}", spool)  # nothing listens there
    app = create_app(with_overrides(settings, **overrides, storage_spool_max_bytes=1000))
    async with app.router.lifespan_context(app), _client(app) as client:
        storage = app.state.storage
        assert isinstance(storage, SpoolingStorage) and storage.degraded
        assert (await client.get("/readyz")).status_code == 200
        sid = new_id()
        first = await _upload(client, b"a" * 600, sid)
        assert first.status_code == 200, first.text
        refused = await _upload(client, b"b" * 600, sid)
        assert refused.status_code == 503, refused.text
        assert "spool is full" in refused.json()["detail"]
        assert await _download(client, first.json()["id"]) == b"a" * 600
        repo: Repository = app.state.repository
        query = select(func.count()).select_from(FILES).where(FILES.c.session_id == sid)
        async with repo.engine.connect() as conn:
            assert (await conn.execute(query)).scalar_one() == 1  # no row for the refused one
        assert len(_spooled_files(spool)) == 1


@SQLITE
async def test_an_unusable_spool_folder_fails_uploads_not_the_service(
    settings: PersistenceSettings, tmp_path: Path
) -> None:
    """The spool path is a file: the service still starts; with S3 away, uploads get 503."""
    spool = tmp_path / "not-a-folder"
    spool.write_bytes(b"")
    overrides = s3_overrides(f"127.0.0.1:{free_port()}", spool)
    app = create_app(with_overrides(settings, **overrides))
    async with app.router.lifespan_context(app), _client(app) as client:
        ready = await client.get("/readyz")
        assert ready.status_code == 503 and "storage" in ready.json()["failures"]
        refused = await _upload(client, b"nowhere to go", new_id())
        assert refused.status_code == 503, refused.text
        assert "spool cannot be written" in refused.json()["detail"]


@SQLITE
async def test_the_spool_outlives_a_restart(
    settings: PersistenceSettings, moto_endpoint: str, tmp_path: Path
) -> None:
    """Spooled while S3 is away, the service stops; the next run uploads it."""
    spool = tmp_path / "spool"
    overrides = s3_overrides(f"127.0.0.1:{free_port()}", spool)
    down = create_app(with_overrides(settings, **overrides))
    async with down.router.lifespan_context(down), _client(down) as client:
        stored = (await _upload(client, b"kept on disk", new_id())).json()
    assert len(_spooled_files(spool)) == 1

    up = create_app(with_overrides(settings, **{**overrides, "s3_endpoint": moto_endpoint}))
    async with up.router.lifespan_context(up), _client(up) as client:
        storage = up.state.storage
        await wait_for(lambda: _count(storage), lambda n: n == 0, timeout=10)
        assert await _download(client, stored["id"]) == b"kept on disk"
    response = _minio(moto_endpoint).get_object(overrides["s3_bucket"], stored["objectKey"])
    try:
        assert response.read() == b"kept on disk"
    finally:
        response.close()
        response.release_conn()
    assert _spooled_files(spool) == []


async def test_only_unreachable_servers_count_as_outages(moto_endpoint: str) -> None:
    """A refused connection is an outage; an answer about the request (404) is not."""
    up = S3Storage(
        S3Config(moto_endpoint, "no-such-bucket-here", "testing", "testing", secure=False)
    )
    with pytest.raises(S3Error) as answered:
        await up.open("threads/t/files/f")
    assert not unreachable(answered.value)
    away = S3Storage(
        S3Config(f"127.0.0.1:{free_port()}", "sbtest-away", "testing", "testing", secure=False)
    )
    with pytest.raises(Exception) as refused:
        await away.exists("threads/t/files/f")
    assert unreachable(refused.value)
    assert not unreachable(ValueError("bad argument"))
