"""Object storage goes away mid-chat: replies keep coming, files wait in the spool.

The whole stack runs against a real object store in a process of its own (moto for
S3, fake-gcs-server for GCS, Azurite for Azure Blob), which the test stops and starts
again on the same port. Files the app stores while it is down are served from the
persistence service's spool at once, and reach the store, byte for byte, when it is
back; the chat never waits for the store.
"""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from azure.storage.blob import BlobServiceClient
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage as gcs
from minio import Minio

from switchboard.stack import free_port
from tests.support import azurite
from tests.support.client import ChainlitClient
from tests.support.emulators import stop_process
from tests.support.fixtures import TEST_APPS, StackFactory
from tests.support.gcs import gcs_url, start_fake_gcs
from tests.support.s3 import spawn_moto, start_moto, stop_moto

APP = TEST_APPS / "files_anon.py"


class Store:
    """One object store in a process of its own, on a port that stays the same."""

    def __init__(self, kind: str, workdir: Path) -> None:
        self.kind = kind
        self.port = free_port()
        self.workdir = workdir
        self.log = workdir / f"{kind}.log"
        self.bucket = f"sbfault-{uuid.uuid4().hex[:12]}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        if self.kind == "s3":
            self.process = start_moto(self.port, self.log, self.process)
        elif self.kind == "gcs":
            self.process = start_fake_gcs(self.port, self.log)
        else:
            self.process = azurite.start_azurite(self.port, self.workdir, self.log)

    def stop(self) -> None:
        if self.process is None:
            return
        if self.kind == "s3":
            stop_moto(self.process)
            # moto loads slowly: spawned now, it binds the port only when started.
            self.process = spawn_moto(self.port, self.log)
        else:
            stop_process(self.process)
            self.process = None

    def close(self) -> None:
        if self.process is not None:
            stop_process(self.process)

    def env(self, spool: Path) -> dict[str, str]:
        common = {
            "SWITCHBOARD_STORAGE_BACKEND": self.kind,
            "SWITCHBOARD_STORAGE_SPOOL_DIR": str(spool),
            "SWITCHBOARD_STORAGE_SPOOL_RETRY_MAX_S": "0.5",
        }
        if self.kind == "s3":
            return {
                **common,
                "SWITCHBOARD_S3_ENDPOINT": f"127.0.0.1:{self.port}",
                "SWITCHBOARD_S3_BUCKET": self.bucket,
                "SWITCHBOARD_S3_ACCESS_KEY": "testing",
                "SWITCHBOARD_S3_SECRET_KEY": "testing",
                "SWITCHBOARD_S3_REGION": "us-east-1",
                "SWITCHBOARD_S3_SECURE": "false",
            }
        if self.kind == "gcs":
            return {
                **common,
                "SWITCHBOARD_GCS_ENDPOINT": gcs_url(self.port),
                "SWITCHBOARD_GCS_BUCKET": self.bucket,
                "SWITCHBOARD_GCS_PROJECT": "switchboard-test",
                "SWITCHBOARD_GCS_ANONYMOUS": "true",
            }
        return {
            **common,
            "SWITCHBOARD_AZURE_CONNECTION_STRING": azurite.connection_string(self.port),
            "SWITCHBOARD_AZURE_CONTAINER": self.bucket,
        }

    def stored_keys(self) -> set[str]:
        """The keys in the bucket, listed with the vendor's own client."""
        if self.kind == "s3":
            direct = Minio(
                f"127.0.0.1:{self.port}", "testing", "testing", region="us-east-1", secure=False
            )
            return {str(o.object_name) for o in direct.list_objects(self.bucket, recursive=True)}
        if self.kind == "gcs":
            client = gcs.Client(
                project="switchboard-test",
                credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call,unused-ignore]
                client_options=ClientOptions(api_endpoint=gcs_url(self.port)),
            )
            try:
                return {blob.name for blob in client.list_blobs(self.bucket)}
            finally:
                client.close()
        with BlobServiceClient.from_connection_string(
            azurite.connection_string(self.port)
        ) as service:
            container = service.get_container_client(self.bucket)
            return {blob.name for blob in container.list_blobs()}


@pytest.fixture(params=["s3", "gcs", "azure"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    server = Store(request.param, tmp_path)
    try:
        server.start()
    except Exception as exc:
        pytest.fail(f"the {request.param} server did not start: {exc!r}")
    yield server
    server.close()


def _body(name: str) -> str:
    return f"contents of {name} " * 64


async def _file_of(client: ChainlitClient, name: str, since: int) -> str:
    await client.send(name)
    await client.wait_for("new_message", lambda m: m["output"] == f"stored {name}", since=since)
    element = await client.wait_for("element", lambda e: e["name"] == f"{name}.txt", since=since)
    return client.element_url(element.data)


async def _spool_empty(spool: Path, timeout: float) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while any(p.is_file() for p in spool.rglob("*")):
        if asyncio.get_running_loop().time() > deadline:
            left = [str(p) for p in spool.rglob("*") if p.is_file()]
            raise AssertionError(f"the spool still holds {left}")
        await asyncio.sleep(0.2)


async def test_files_stored_during_an_outage_reach_the_store_when_it_returns(
    make_stack: StackFactory, client_factory: Any, store: Store, tmp_path: Path
) -> None:
    spool = tmp_path / "spool"
    stack = make_stack(APP, extra_env=store.env(spool))
    client: ChainlitClient = client_factory(stack.url)
    await client.start()
    urls = {"before": await _file_of(client, "before", len(client.events))}

    store.stop()
    async with httpx.AsyncClient(base_url=stack.url, timeout=20) as http:
        for name in ("during-1", "during-2", "during-3"):
            mark = len(client.events)
            urls[name] = await asyncio.wait_for(_file_of(client, name, mark), 30)
            served = await http.get(urls[name])  # from the spool
            assert served.status_code == 200 and served.text == _body(name)
        assert any(p.is_file() for p in spool.rglob("*"))
        metrics = (await http.get(f"http://127.0.0.1:{stack.ports['persistence']}/metrics")).text
        assert "switchboard_persistence_storage_up 0.0" in metrics

        # The store comes back empty (each keeps its objects in memory): the bucket is
        # made again and the spool drains into it.
        store.start()
        await _spool_empty(spool, timeout=30)
        assert len(store.stored_keys()) == 3  # the three written while the store was away
        for name in ("during-1", "during-2", "during-3"):
            served = await http.get(urls[name])  # now from the store
            assert served.status_code == 200 and served.text == _body(name)
        # The chat kept its session throughout.
        mark = len(client.events)
        await _file_of(client, "after", mark)
        assert not [e for e in client.events if e.name == "error"]
