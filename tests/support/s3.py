"""A real S3-compatible server (moto's) in a subprocess, that tests stop and start again."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx

__all__ = ("spawn_moto", "start_moto", "stop_moto")

# moto's server, started only once a line arrives on stdin: the slow part (imports) can
# happen while the test still needs the port closed.
_MOTO = "import sys, moto.server; sys.stdin.readline(); moto.server.main(sys.argv[1:])"


def spawn_moto(port: int, log_path: Path) -> subprocess.Popen[bytes]:
    """A moto server process for ``port`` that waits for :func:`start_moto` before binding it."""
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-c", _MOTO, "-H", "127.0.0.1", "-p", str(port)],
            stdin=subprocess.PIPE,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def start_moto(
    port: int,
    log_path: Path,
    server: subprocess.Popen[bytes] | None = None,
    timeout: float = 60.0,
) -> subprocess.Popen[bytes]:
    """A real S3-compatible server (moto) answering on ``port`` (``server`` if spawned already)."""
    server = server or spawn_moto(port, log_path)
    assert server.stdin is not None
    server.stdin.write(b"go\n")
    server.stdin.close()
    deadline = time.monotonic() + timeout
    while True:
        if server.poll() is not None:
            raise AssertionError(f"moto exited ({server.returncode}): {log_path.read_text()}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return server
        except httpx.TransportError:
            if time.monotonic() > deadline:
                stop_moto(server)
                raise AssertionError(
                    f"moto did not answer on {port}: {log_path.read_text()}"
                ) from None
            time.sleep(0.05)


def stop_moto(server: subprocess.Popen[bytes]) -> None:
    """Stop the server and wait for it: its port refuses connections afterwards."""
    if server.poll() is not None:
        return
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
