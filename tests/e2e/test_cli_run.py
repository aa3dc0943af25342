"""``switchboard run`` never outlives itself: killed in any way, it leaves no service behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from switchboard.stack import free_port
from tests.support.fixtures import EXAMPLES


def _children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has exited; only its parent has yet to reap it


@pytest.mark.timeout(240)
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_a_stopped_switchboard_run_leaves_no_service_running(
    tmp_path: Path, sig: signal.Signals
) -> None:
    output = tmp_path / "run.log"
    with output.open("wb") as sink:
        cli = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "switchboard.cli",
                "run",
                str(EXAMPLES / "demo.py"),
                "--port",
                str(free_port()),
            ],
            cwd=tmp_path,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 180
        while b"is running" not in output.read_bytes():
            assert cli.poll() is None, output.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "switchboard run never printed its URL"
            time.sleep(0.2)
        services = _children(cli.pid)
        assert len(services) >= 6, services  # Redis, sessions, auth, persistence, gateway, worker
        os.kill(cli.pid, sig)
        cli.wait(timeout=60)
        deadline = time.monotonic() + 60
        while any(_alive(pid) for pid in services) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert [pid for pid in services if _alive(pid)] == []
    finally:
        if cli.poll() is None:
            cli.kill()
        for pid in _children(cli.pid):
            os.kill(pid, signal.SIGKILL)
