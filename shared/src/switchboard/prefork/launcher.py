"""The launcher's end: start a prefork server, ask it for processes, see them end."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ("SERVICE_MODULES", "ForkedProcess", "PreforkServer")

# What a local stack runs; imported once by the server, before it forks.
SERVICE_MODULES = (
    "switchboard_persistence.__main__",
    "switchboard_sessions.__main__",
    "switchboard_auth.__main__",
    "switchboard_gateway.__main__",
    "switchboard_worker.__main__",
    "switchboard_worker.app",
    "switchboard_worker.loader",
    "switchboard.chainlit_compat",
    "uvicorn.protocols.http.auto",
    "uvicorn.protocols.websockets.auto",
    "uvicorn.lifespan.on",
    "uvicorn.loops.auto",
    "uvloop",
    "asyncpg",
    "aiosqlite",
    "alembic.command",
    # Imported lazily by FastAPI's route set-up and httpx's first client: in every
    # child unless imported here.
    "pydantic.v1",
    "httpcore",
    "anyio._core._sockets",
)


class ForkedProcess:
    """A service forked by the prefork server, with the parts of Popen's API stacks use."""

    def __init__(self, server: PreforkServer, pid: int, args: list[str]) -> None:
        self.server = server
        self.pid = pid
        self.args = args
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self.server.exit_code(self.pid)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            code = self.server.wait_exit(self.pid, timeout)
            if code is None:
                raise subprocess.TimeoutExpired(self.args, timeout or 0.0)
            self.returncode = code
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class PreforkServer:
    """The launcher's end: start the server, ask it for processes, learn how they ended."""

    def __init__(self, preload: Sequence[str] = SERVICE_MODULES) -> None:
        self.preload = tuple(preload)
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()  # one spawn request at a time
        self._changed = threading.Condition()
        self._replies: list[dict[str, Any]] = []
        self._codes: dict[int, int] = {}
        self._closed = False

    def start(self) -> PreforkServer:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "switchboard.prefork", *self.preload],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            start_new_session=True,
        )
        threading.Thread(target=self._read, name="prefork-reader", daemon=True).start()
        ready = self._reply(timeout=120)
        if ready.get("ready") is not True:
            raise RuntimeError(f"prefork server failed to start: {ready}")
        return self

    def spawn(
        self, module: str, args: Sequence[str], env: dict[str, str], log: Path | None = None
    ) -> ForkedProcess:
        """Run ``python -m module *args`` as a fork of the server; output to ``log``."""
        return self._fork(module, args, env, log=str(log) if log is not None else None)

    def _fork(
        self, module: str, args: Sequence[str], env: dict[str, str], **streams: str | None
    ) -> ForkedProcess:
        """Ask for a fork; ``streams`` names the files for ``log``, ``stdin``, ``stderr``."""
        request = {"module": module, "args": list(args), "env": env, "cwd": os.getcwd()}
        with self._lock:
            self._send({**request, **streams})
            reply = self._reply(timeout=30)
        if "pid" not in reply:
            raise RuntimeError(f"prefork server could not start {module}: {reply}")
        return ForkedProcess(self, int(reply["pid"]), [module, *args])

    def run(
        self,
        module: str,
        args: Sequence[str],
        env: dict[str, str],
        *,
        input: str | None = None,
        timeout: float = 60.0,
    ) -> subprocess.CompletedProcess[str]:
        """``subprocess.run([python, -m, module, *args], input=..., capture_output=True,
        text=True)`` as a fork: a command-line tool run many times costs no start-up."""
        with tempfile.TemporaryDirectory(prefix="prefork-run-") as folder:
            streams = {name: Path(folder) / name for name in ("stdin", "stdout", "stderr")}
            streams["stdin"].write_text(input or "")
            process = self._fork(
                module,
                args,
                env,
                log=str(streams["stdout"]),
                stdin=str(streams["stdin"]),
                stderr=str(streams["stderr"]),
            )
            try:
                code = process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                raise
            return subprocess.CompletedProcess(
                [module, *args],
                code,
                streams["stdout"].read_text(),
                streams["stderr"].read_text(),
            )

    def exit_code(self, pid: int) -> int | None:
        with self._changed:
            return self._codes.get(pid)

    def wait_exit(self, pid: int, timeout: float | None) -> int | None:
        with self._changed:
            self._changed.wait_for(lambda: pid in self._codes, timeout)
            return self._codes.get(pid)

    def close(self) -> None:
        """Stop the server; it ends every process it forked that still runs."""
        process = self._process
        if process is None or self._closed:
            return
        self._closed = True
        if process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def _send(self, message: dict[str, Any]) -> None:
        assert self._process is not None and self._process.stdin is not None
        self._process.stdin.write(json.dumps(message).encode() + b"\n")
        self._process.stdin.flush()

    def _reply(self, timeout: float) -> dict[str, Any]:
        with self._changed:
            if not self._changed.wait_for(lambda: self._replies or self._closed, timeout):
                raise RuntimeError(f"prefork server did not answer within {timeout:.0f} s")
            if not self._replies:
                raise RuntimeError("prefork server is gone")
            return self._replies.pop(0)

    def _read(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        for line in self._process.stdout:
            message = json.loads(line)
            with self._changed:
                if "exited" in message:
                    self._codes[int(message["exited"])] = int(message["code"])
                else:
                    self._replies.append(message)
                self._changed.notify_all()
        with self._changed:
            self._closed = True
            self._changed.notify_all()
