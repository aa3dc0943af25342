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


def _start_cli(args: list[str], cwd: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "switchboard.cli", *args],
            cwd=cwd,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )


def _wait_for_output(cli: subprocess.Popen[bytes], log: Path, text: bytes, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while text not in log.read_bytes():
        assert cli.poll() is None, log.read_text(errors="replace")[-3000:]
        assert time.monotonic() < deadline, (
            f"no {text!r}: {log.read_text(errors='replace')[-3000:]}"
        )
        time.sleep(0.2)


def _stop_cli(cli: subprocess.Popen[bytes]) -> None:
    if cli.poll() is None:
        cli.send_signal(signal.SIGINT)
        try:
            cli.wait(timeout=60)
        except subprocess.TimeoutExpired:
            cli.kill()


async def _reply(url: str, text: str) -> str:
    from tests.support.client import ChainlitClient

    client = ChainlitClient(url)
    try:
        await client.start()
        mark = len(client.events)
        await client.send(text)
        reply = await client.wait_for(
            "new_message",
            lambda m: m.get("type") == "assistant_message" and text in str(m.get("output")),
            since=mark,
            timeout=30,
        )
        return str(reply.data["output"])
    finally:
        await client.close()


def test_init_writes_a_starter_that_loads_and_refuses_to_overwrite(tmp_path: Path) -> None:
    made = subprocess.run(
        [sys.executable, "-m", "switchboard.cli", "init", "bot"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    app = tmp_path / "bot" / "app.py"
    assert app.read_text().startswith('"""') and "import chainlit as cl" in app.read_text()
    assert (tmp_path / "bot" / ".chainlit" / "config.toml").is_file()
    assert (tmp_path / "bot" / "chainlit.md").is_file()
    # The starter imports as a worker imports it.
    check = subprocess.run(
        [sys.executable, "-m", "switchboard_worker", "--check", str(app)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    app.write_text("# mine\n")
    again = subprocess.run(
        [sys.executable, "-m", "switchboard.cli", "init", "bot"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert again.returncode == 1 and "already exists" in again.stderr
    assert app.read_text() == "# mine\n"


@pytest.mark.timeout(240)
async def test_hello_runs_the_bundled_app(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "hello.log"
    cli = _start_cli(["hello", "--port", str(port), "--headless"], tmp_path, log)
    try:
        _wait_for_output(cli, log, b"is running", 180)
        assert await _reply(f"http://127.0.0.1:{port}", "ping") == "Message 1: you said ping "
    finally:
        _stop_cli(cli)


@pytest.mark.timeout(300)
async def test_watch_reloads_workers_when_the_app_changes(tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    source = (
        "import chainlit as cl\n\n\n"
        "@cl.on_message\n"
        "async def main(message: cl.Message):\n"
        "    await cl.Message(content='VERSION ' + message.content).send()\n"
    )
    app.write_text(source.replace("VERSION", "v1"))
    port = free_port()
    log = tmp_path / "run.log"
    cli = _start_cli(
        ["run", str(app), "--port", str(port), "-w", "--headless", "--root-path", "/chat"],
        tmp_path,
        log,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_output(cli, log, f"{url}/chat".encode(), 180)
        assert await _reply(url, "a") == "v1 a"
        # A broken save keeps the running version.
        app.write_text("import chainlit as cl\nthis is not python\n")
        _wait_for_output(cli, log, b"cannot be loaded", 60)
        assert await _reply(url, "b") == "v1 b"
        app.write_text(source.replace("VERSION", "v2"))
        _wait_for_output(cli, log, b"workers reloaded", 60)
        assert await _reply(url, "c") == "v2 c"
        assert b"exited" not in log.read_bytes()
    finally:
        _stop_cli(cli)
