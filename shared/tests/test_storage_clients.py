"""Chainlit's storage clients (``chainlit.data.storage_clients.*``) against real servers:
moto for S3, fake-gcs-server for GCS, Azurite for Azure. Each stores a file, hands out a
URL that an HTTP client reads it back from, refuses to overwrite when told not to, and
deletes it."""

from __future__ import annotations

import base64
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import httpx
import pytest
from azure.storage.blob import BlobServiceClient, ContainerSasPermissions, generate_container_sas
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage as gcs

from switchboard.data.storage_clients.azure import AzureStorageClient
from switchboard.data.storage_clients.azure_blob import AzureBlobStorageClient
from switchboard.data.storage_clients.base import BaseStorageClient
from switchboard.data.storage_clients.gcs import GCSStorageClient
from switchboard.data.storage_clients.s3 import S3StorageClient
from switchboard.stack import free_port
from tests.support import azurite
from tests.support.emulators import stop_process
from tests.support.gcs import gcs_url, start_fake_gcs
from tests.support.s3 import start_moto, stop_moto

DISPOSITION = 'attachment; filename="notes.txt"'


@pytest.fixture(scope="module")
def moto_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    try:
        server = start_moto(port, tmp_path_factory.mktemp("moto") / "moto.log")
    except AssertionError as exc:
        pytest.fail(str(exc))
    yield f"http://127.0.0.1:{port}"
    stop_moto(server)


@pytest.fixture(scope="module")
def gcs_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    try:
        server = start_fake_gcs(port, tmp_path_factory.mktemp("gcs") / "gcs.log")
    except Exception as exc:
        pytest.fail(f"the GCS emulator did not start: {exc!r}")
    yield gcs_url(port)
    stop_process(server)


@pytest.fixture(scope="module")
def azurite_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    port = free_port()
    workdir = tmp_path_factory.mktemp("azurite")
    try:
        server = azurite.start_azurite(port, workdir, workdir / "azurite.log")
    except Exception as exc:
        pytest.fail(f"Azurite did not start: {exc!r}")
    yield port
    stop_process(server)


def _name() -> str:
    return f"sbclient-{uuid.uuid4().hex[:12]}"


async def _contract(client: BaseStorageClient, read_url_works: bool = True) -> None:
    """What Chainlit's SQLAlchemy data layer relies on, and what an app sees."""
    key = f"threads/{uuid.uuid4().hex}/notes.txt"
    stored = await client.upload_file(key, "first", "text/plain", True, DISPOSITION)
    assert stored["object_key"] == key and stored["url"]
    await client.upload_file(key, b"second", "text/plain")  # overwrite is the default
    url = await client.get_read_url(key)
    async with httpx.AsyncClient(timeout=10) as http:
        if read_url_works:
            response = await http.get(url)
            assert response.status_code == 200, response.text
            assert response.content == b"second"
            assert response.headers["content-type"].startswith("text/plain")
        with pytest.raises(FileExistsError):
            await client.upload_file(key, b"third", "text/plain", overwrite=False)
        assert await client.delete_file(key) is True
        assert await client.delete_file(key) is True  # already gone
        if read_url_works:
            assert (await http.get(url)).status_code == 404
    fresh = f"sessions/{uuid.uuid4().hex}/new.bin"
    assert (await client.upload_file(fresh, b"\x00\x01", overwrite=False))["object_key"] == fresh
    await client.close()


async def test_s3_storage_client(moto_url: str) -> None:
    options = {
        "endpoint_url": moto_url,
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
        "region_name": "us-east-1",
    }
    bucket = _name()
    boto3.client("s3", **options).create_bucket(Bucket=bucket)
    await _contract(S3StorageClient(bucket, **options))


def _service_account_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return base64.b64encode(pem).decode()  # as Chainlit 2 takes it


async def test_gcs_storage_client(gcs_emulator: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_emulator)
    bucket = _name()
    admin = gcs.Client(
        project="switchboard-test",
        credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call,unused-ignore]
        client_options=ClientOptions(api_endpoint=gcs_emulator),
    )
    admin.create_bucket(bucket)
    client = GCSStorageClient(
        "switchboard-test", "app@switchboard-test.iam.gserviceaccount.com",
        _service_account_key(), bucket,
    )  # fmt: skip
    url = await client.get_read_url("threads/t/notes.txt")
    assert url.startswith(f"{gcs_emulator}/{bucket}/threads/t/notes.txt?")
    assert "X-Goog-Signature=" in url and "X-Goog-Expires=3600" in url
    await _contract(client)
    admin.close()


async def test_azure_blob_storage_client(azurite_port: int) -> None:
    container = _name()
    with BlobServiceClient.from_connection_string(azurite.connection_string(azurite_port)) as svc:
        svc.create_container(container)
    client = AzureBlobStorageClient(
        container,
        azurite.ACCOUNT_NAME,
        azurite.ACCOUNT_KEY,
        account_url=azurite.account_url(azurite_port),
    )
    await _contract(client)  # Azurite checks the read URL's SAS signature


async def test_azure_data_lake_storage_client(azurite_port: int) -> None:
    container = _name()
    with BlobServiceClient.from_connection_string(azurite.connection_string(azurite_port)) as svc:
        svc.create_container(container)
    sas = generate_container_sas(
        azurite.ACCOUNT_NAME,
        container,
        account_key=azurite.ACCOUNT_KEY,
        permission=ContainerSasPermissions(read=True),
        expiry=datetime.now(UTC) + timedelta(hours=1),
    )
    client = AzureStorageClient(
        azurite.account_url(azurite_port),
        container,
        {"account_name": azurite.ACCOUNT_NAME, "account_key": azurite.ACCOUNT_KEY},
        sas_token=sas,
    )
    await _contract(client)


CLIENTS = [
    ("s3", "S3StorageClient", "boto3", "s3"),
    ("gcs", "GCSStorageClient", "google.cloud.storage", "gcs"),
    ("azure_blob", "AzureBlobStorageClient", "azure.storage.blob", "azure"),
    ("azure", "AzureStorageClient", "azure.storage.blob", "azure"),
]


def _run(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    return result.stdout


def test_chainlit_import_paths_give_these_clients() -> None:
    imports = "".join(
        f"from chainlit.data.storage_clients.{module} import {name}\n"
        f"print({name}.__module__, {name}.__name__)\n"
        for module, name, _, _ in CLIENTS
    )
    code = "from switchboard.chainlit_compat import install\ninstall()\n" + imports
    lines = _run(code).splitlines()
    assert lines == [
        f"switchboard.data.storage_clients.{module} {name}" for module, name, _, _ in CLIENTS
    ]


@pytest.mark.parametrize(("module", "name", "blocked", "extra"), CLIENTS)
def test_a_missing_sdk_names_the_extra(module: str, name: str, blocked: str, extra: str) -> None:
    code = (
        "import sys\n"
        f"sys.modules[{blocked!r}] = None\n"
        "try:\n"
        f"    from switchboard.data.storage_clients.{module} import {name}\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    assert f"pip install 'switchboard[{extra}]'" in _run(code)
