"""Azurite, Microsoft's Azure Storage emulator (npm, pinned in tests/emulators), blob service only."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.support.emulators import start_process

__all__ = ("ACCOUNT_KEY", "ACCOUNT_NAME", "account_url", "connection_string", "start_azurite")

EMULATORS = Path(__file__).resolve().parents[1] / "emulators"
AZURITE_BLOB = EMULATORS / "node_modules" / ".bin" / "azurite-blob"
# Azurite's built-in development account (its documented, public key).
ACCOUNT_NAME = "devstoreaccount1"
ACCOUNT_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)


def account_url(port: int) -> str:
    return f"http://127.0.0.1:{port}/{ACCOUNT_NAME}"


def connection_string(port: int) -> str:
    return (
        f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT_NAME};AccountKey={ACCOUNT_KEY};"
        f"BlobEndpoint={account_url(port)};"
    )


def start_azurite(port: int, workdir: Path, log_path: Path) -> subprocess.Popen[bytes]:
    """Azurite's blob service on ``port``, objects in memory, run in ``workdir``.

    Fails when Azurite is not installed.
    """
    if not AZURITE_BLOB.exists():
        raise AssertionError(
            f"Azurite is not installed at {AZURITE_BLOB}: run `npm ci` in {EMULATORS}"
        )
    workdir.mkdir(parents=True, exist_ok=True)
    argv = [
        str(AZURITE_BLOB),
        "--blobHost",
        "127.0.0.1",
        "--blobPort",
        str(port),
        "--inMemoryPersistence",
        # The SDK may speak a newer API version than this Azurite knows; the calls we make
        # are the same in both.
        "--skipApiVersionCheck",
        "--disableProductStyleUrl",
        "--disableTelemetry",  # nothing leaves the machine
        "--silent",
    ]
    return start_process("Azurite", argv, port, log_path, cwd=workdir)
