"""Object storage goes away mid-chat: replies keep coming, files wait in the spool.

The whole stack runs against a real S3 server (moto, its own process), which the
test stops and starts again on the same port. Files the app stores while it is
down are served from the persistence service's spool at once, and reach the
bucket, byte for byte, when it is back; the chat never waits for S3.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from minio import Minio

from switchboard.stack import free_port
from tests.support.client import ChainlitClient
from tests.support.fixtures import TEST_APPS, StackFactory
from tests.support.s3 import spawn_moto, start_moto, stop_moto

APP = TEST_APPS / "files_anon.py"


@pytest.fixture
def s3(tmp_path: Path) -> Iterator[dict[str, Any]]:
    port = free_port()
    log = tmp_path / "moto.log"
    server = {"port": port, "log": log, "process": start_moto(port, log)}
    yield server
    stop_moto(server["process"])


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


async def test_files_stored_during_an_s3_outage_reach_s3_when_it_returns(
    make_stack: StackFactory, client_factory: Any, s3: dict[str, Any], tmp_path: Path
) -> None:
    endpoint = f"127.0.0.1:{s3['port']}"
    bucket = f"sbfault-{uuid.uuid4().hex[:12]}"
    spool = tmp_path / "spool"
    stack = make_stack(
        APP,
        extra_env={
            "SWITCHBOARD_STORAGE_BACKEND": "s3",
            "SWITCHBOARD_S3_ENDPOINT": endpoint,
            "SWITCHBOARD_S3_BUCKET": bucket,
            "SWITCHBOARD_S3_ACCESS_KEY": "testing",
            "SWITCHBOARD_S3_SECRET_KEY": "testing",
            "SWITCHBOARD_S3_REGION": "us-east-1",
            "SWITCHBOARD_S3_SECURE": "false",
            "SWITCHBOARD_STORAGE_SPOOL_DIR": str(spool),
            "SWITCHBOARD_STORAGE_SPOOL_RETRY_MAX_S": "0.5",
        },
    )
    client: ChainlitClient = client_factory(stack.url)
    await client.start()
    urls = {"before": await _file_of(client, "before", len(client.events))}

    stop_moto(s3["process"])
    s3["process"] = spawn_moto(s3["port"], s3["log"])  # loads, but does not listen yet
    async with httpx.AsyncClient(base_url=stack.url, timeout=20) as http:
        for name in ("during-1", "during-2", "during-3"):
            mark = len(client.events)
            urls[name] = await asyncio.wait_for(_file_of(client, name, mark), 30)
            served = await http.get(urls[name])  # from the spool
            assert served.status_code == 200 and served.text == _body(name)
        assert any(p.is_file() for p in spool.rglob("*"))
        metrics = (await http.get(f"http://127.0.0.1:{stack.ports['persistence']}/metrics")).text
        assert "switchboard_persistence_storage_up 0.0" in metrics

        # S3 comes back (empty: moto keeps its objects in memory): the bucket is made
        # again and the spool drains into it.
        s3["process"] = start_moto(s3["port"], s3["log"], s3["process"])
        await _spool_empty(spool, timeout=30)
        direct = Minio(endpoint, "testing", "testing", region="us-east-1", secure=False)
        stored = {o.object_name for o in direct.list_objects(bucket, recursive=True)}
        assert len(stored) == 3  # the three written while S3 was away
        for name in ("during-1", "during-2", "during-3"):
            served = await http.get(urls[name])  # now from S3
            assert served.status_code == 200 and served.text == _body(name)
        # The chat kept its session throughout.
        mark = len(client.events)
        await _file_of(client, "after", mark)
        assert not [e for e in client.events if e.name == "error"]
