"""Object storage emulators (GCS, Azure) as real processes that tests stop and start again.

Each runs on a port of the test's choosing, keeps its objects in memory (a restart
comes back empty, as moto does) and logs to a file shown when it fails to start.
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

__all__ = ("start_process", "stop_process", "wait_listening")


def start_process(
    name: str,
    argv: Sequence[str],
    port: int,
    log_path: Path,
    timeout: float = 60.0,
    cwd: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Run ``argv`` and return once something listens on ``port``; fails with its log."""
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            list(argv), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=cwd
        )
    wait_listening(name, process, port, log_path, timeout)
    return process


def wait_listening(
    name: str, process: subprocess.Popen[bytes], port: int, log_path: Path, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise AssertionError(f"{name} exited ({process.returncode}): {log_path.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                stop_process(process)
                raise AssertionError(
                    f"{name} did not listen on {port} within {timeout} s: {log_path.read_text()}"
                ) from None
            time.sleep(0.05)


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Stop the emulator and wait for it: its port refuses connections afterwards."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
