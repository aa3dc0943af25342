"""GCS and Azure emulators for the persistence tests: settings, a restartable server, direct reads.

Direct reads go through each vendor's own SDK, not through our storage classes, so a
test checks what really reached the store.
"""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path
from typing import Any, Literal

from azure.core.exceptions import ResourceNotFoundError
from azure.storage.blob import BlobServiceClient
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage as gcs

from switchboard.stack import free_port
from tests.support.azurite import connection_string, start_azurite
from tests.support.emulators import stop_process
from tests.support.gcs import gcs_url, start_fake_gcs

__all__ = ("EmulatedStore", "Kind", "azure_overrides", "gcs_overrides")

Kind = Literal["gcs", "azure"]


def gcs_overrides(endpoint: str, spool_dir: Path) -> dict[str, Any]:
    """Settings for a fresh bucket on the GCS emulator, spooling into ``spool_dir``."""
    return {
        "storage_backend": "gcs",
        "storage_spool_dir": spool_dir,
        "gcs_endpoint": endpoint,
        "gcs_bucket": f"sbtest-{uuid.uuid4().hex[:12]}",
        "gcs_project": "switchboard-test",
        "gcs_anonymous": True,
    }


def azure_overrides(port: int, spool_dir: Path) -> dict[str, Any]:
    """Settings for a fresh container on Azurite, spooling into ``spool_dir``."""
    return {
        "storage_backend": "azure",
        "storage_spool_dir": spool_dir,
        "azure_connection_string": connection_string(port),
        "azure_container": f"sbtest-{uuid.uuid4().hex[:12]}",
    }


class EmulatedStore:
    """One emulator of ``kind`` on a port of its own, which a test stops and starts again."""

    def __init__(self, kind: Kind, workdir: Path) -> None:
        self.kind = kind
        self.port = free_port()
        self.workdir = workdir
        self.log = workdir / f"{kind}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        if self.kind == "gcs":
            self.process = start_fake_gcs(self.port, self.log)
        else:
            self.process = start_azurite(self.port, self.workdir / "azurite", self.log)

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
            self.process = None

    def overrides(self, spool_dir: Path) -> dict[str, Any]:
        if self.kind == "gcs":
            return gcs_overrides(gcs_url(self.port), spool_dir)
        return azure_overrides(self.port, spool_dir)

    def read(self, overrides: dict[str, Any], key: str) -> tuple[bytes, str] | None:
        """The object's bytes and content type as the store holds them; None when missing."""
        if self.kind == "gcs":
            return self._read_gcs(overrides["gcs_bucket"], key)
        return self._read_azure(overrides["azure_container"], key)

    def _read_gcs(self, bucket: str, key: str) -> tuple[bytes, str] | None:
        client = gcs.Client(
            project="switchboard-test",
            credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call,unused-ignore]
            client_options=ClientOptions(api_endpoint=gcs_url(self.port)),
        )
        try:
            blob = client.bucket(bucket).get_blob(key)
            if blob is None:
                return None
            return blob.download_as_bytes(), str(blob.content_type)
        finally:
            client.close()

    def _read_azure(self, container: str, key: str) -> tuple[bytes, str] | None:
        with BlobServiceClient.from_connection_string(connection_string(self.port)) as service:
            blob = service.get_blob_client(container, key)
            try:
                properties = blob.get_blob_properties()
            except ResourceNotFoundError:
                return None
            return blob.download_blob().readall(), str(properties.content_settings.content_type)
