"""GCS and Azure outages: uploads go to the local spool and reach the store when it is back.

The same cases as the S3 ones (``test_persistence_storage_outage.py``), against real
emulators (fake-gcs-server, Azurite) in processes of their own that the test stops and
starts again on the same port, and the real service over HTTP. Each emulator keeps its
objects in memory, so it comes back empty and the bucket or container is made again.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from azure.core.exceptions import ResourceNotFoundError
from fastapi import FastAPI
from google.api_core import exceptions as google_errors
from persistence_support import auth, new_id, wait_for, with_overrides
from storage_servers import EmulatedStore, Kind, azure_overrides, gcs_overrides

from switchboard.schema import UserRef
from switchboard.stack import free_port
from switchboard_persistence.app import create_app
from switchboard_persistence.settings import PersistenceSettings
from switchboard_persistence.storage import ObjectNotFound, SpoolingStorage
from switchboard_persistence.storage import azure as azure_store
from switchboard_persistence.storage import gcs as gcs_store
from switchboard_persistence.storage.gcs import PART_SIZE
from tests.support.gcs import gcs_url

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
KINDS: list[Kind] = ["gcs", "azure"]

ALICE = UserRef(identifier="alice-o", id="u-alice-o")


@pytest.fixture(params=KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EmulatedStore]:
    """An emulator of each kind, started; the test may stop and start it again."""
    server = EmulatedStore(request.param, tmp_path)
    try:
        server.start()
    except Exception as exc:
        pytest.fail(f"the {request.param} emulator did not start: {exc!r}")
    yield server
    server.stop()


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


def _spooled_files(spool: Path) -> list[Path]:
    return [p for p in spool.rglob("*") if p.is_file()]


async def _count(storage: SpoolingStorage) -> int:
    return storage.spooled_objects


@SQLITE
async def test_uploads_during_an_outage_reach_the_store_when_it_returns(
    settings: PersistenceSettings, store: EmulatedStore, tmp_path: Path
) -> None:
    spool = tmp_path / "spool"
    overrides = store.overrides(spool)
    app = create_app(with_overrides(settings, **overrides, storage_spool_retry_max_s=0.5))
    async with app.router.lifespan_context(app), _client(app) as client:
        storage = app.state.storage
        assert isinstance(storage, SpoolingStorage)
        sid = new_id()
        before = await _upload(client, b"while the store runs", sid)
        assert before.status_code == 200, before.text
        doomed = (await _upload(client, b"deleted during the outage", sid)).json()
        assert (storage.spooled_objects, storage.degraded) == (0, False)

        store.stop()
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
        assert (await client.get(f"/files/{doomed['id']}", headers=auth(ALICE))).status_code == 404
        assert storage.spooled_objects == 4
        assert len(_spooled_files(spool)) == 4
        ready = await client.get("/readyz")
        assert ready.status_code == 200, ready.text  # the chat keeps working
        metrics = (await client.get("/metrics")).text
        assert "switchboard_persistence_storage_spooled_objects 4.0" in metrics
        assert "switchboard_persistence_storage_up 0.0" in metrics

        # The emulator comes back empty: the bucket is made again and the spool drains.
        store.start()
        await wait_for(lambda: _count(storage), lambda n: n == 0, timeout=20)
        assert not storage.degraded
        assert storage.spooled_bytes == 0
        for payload, item in zip(payloads, stored, strict=True):
            assert await _download(client, item["id"]) == payload  # now from the store
        assert (await client.get("/readyz")).status_code == 200

    for payload, item in zip(payloads, stored, strict=True):
        assert store.read(overrides, item["objectKey"]) == (payload, "application/x-test")
    assert store.read(overrides, doomed["objectKey"]) is None
    assert _spooled_files(spool) == []


def _away_overrides(kind: Kind, spool: Path) -> dict[str, Any]:
    """Settings naming a port nothing listens on."""
    if kind == "gcs":
        return gcs_overrides(gcs_url(free_port()), spool)
    return azure_overrides(free_port(), spool)


@SQLITE
@pytest.mark.parametrize("kind", KINDS)
async def test_the_spool_outlives_a_restart(
    settings: PersistenceSettings, kind: Kind, tmp_path: Path
) -> None:
    """Spooled while the store is away, the service stops; the next run uploads it."""
    spool = tmp_path / "spool"
    down = create_app(with_overrides(settings, **_away_overrides(kind, spool)))
    async with down.router.lifespan_context(down), _client(down) as client:
        assert down.state.storage.degraded
        stored = (await _upload(client, b"kept on disk", new_id())).json()
    assert len(_spooled_files(spool)) == 1

    server = EmulatedStore(kind, tmp_path)
    try:
        server.start()
    except Exception as exc:
        pytest.fail(f"the {kind} emulator did not start: {exc!r}")
    try:
        overrides = server.overrides(spool)
        up = create_app(with_overrides(settings, **overrides))
        async with up.router.lifespan_context(up), _client(up) as client:
            storage = up.state.storage
            await wait_for(lambda: _count(storage), lambda n: n == 0, timeout=10)
            assert await _download(client, stored["id"]) == b"kept on disk"
        assert server.read(overrides, stored["objectKey"]) == (
            b"kept on disk",
            "application/x-test",
        )
        assert _spooled_files(spool) == []
    finally:
        server.stop()


async def test_only_unreachable_gcs_counts_as_an_outage(gcs_endpoint: str) -> None:
    """A refused connection is an outage; an answer about the request (404) is not."""
    up = gcs_store.GcsStorage(
        gcs_store.GcsConfig("sbtest-up", endpoint=gcs_endpoint, anonymous=True)
    )
    away = gcs_store.GcsStorage(
        gcs_store.GcsConfig("sbtest-away", endpoint=gcs_url(free_port()), anonymous=True)
    )
    try:
        with pytest.raises(google_errors.NotFound) as answered:
            await asyncio.to_thread(up.client.get_bucket, "no-such-bucket-here")
        assert not gcs_store.unreachable(answered.value)
        with pytest.raises(Exception) as refused:
            await away.exists("threads/t/files/f")
        assert gcs_store.unreachable(refused.value), repr(refused.value)
        assert not gcs_store.unreachable(ValueError("bad argument"))
    finally:
        await up.close()
        await away.close()


async def test_only_unreachable_azure_counts_as_an_outage(azurite_port: int) -> None:
    """A refused connection is an outage; an answer about the request (404) is not."""

    def store(port: int, container: str) -> azure_store.AzureStorage:
        connection = azure_overrides(port, Path("unused"))["azure_connection_string"]
        return azure_store.AzureStorage(
            azure_store.AzureConfig(container, connection_string=connection)
        )

    up = store(azurite_port, "no-such-container-here")
    away = store(free_port(), "sbtest-away")
    try:
        with pytest.raises(ResourceNotFoundError) as answered:
            await up.container.get_container_properties()
        assert not azure_store.unreachable(answered.value)
        with pytest.raises(ObjectNotFound):
            await up.open("threads/t/files/f")  # no container: no object either
        with pytest.raises(Exception) as refused:
            await away.exists("threads/t/files/f")
        assert azure_store.unreachable(refused.value), repr(refused.value)
        assert not azure_store.unreachable(ValueError("bad argument"))
    finally:
        await up.close()
        await away.close()
