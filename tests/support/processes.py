"""Start small helper servers (test doubles of third parties) as real processes."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from switchboard.stack import free_port
from tests.support.fixtures import REPO

__all__ = ("module_server",)


@contextmanager
def module_server(module: str, timeout: float = 15) -> Iterator[str]:
    """Run ``python -m module --port N``; yield its base URL once it listens."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", module, "--port", str(port)], cwd=REPO)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{module} did not start") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
