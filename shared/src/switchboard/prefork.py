"""Start service processes by forking one that has already imported them.

A fresh interpreter spends most of a service's start-up importing pydantic,
SQLAlchemy, FastAPI and the schema: about 10 CPU-seconds for a local stack of
five processes. A prefork server imports all that once; each service is then
a fork of it running its module as ``python -m`` would, in its own session
(process group), with its own environment, arguments and log file. Local
stacks in tests start this way; each service is still its own OS process.

The server is single-threaded and forks only from its main loop, so no lock
is held by another thread at fork time. It reports each child's exit status
back, so the launcher sees ``poll()``, ``wait()`` and ``returncode`` as with
``subprocess.Popen``.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import os
import runpy
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

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

_PR_SET_PDEATHSIG = 1


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
        request = {
            "module": module,
            "args": list(args),
            "env": env,
            "log": str(log) if log is not None else None,
            "cwd": os.getcwd(),
        }
        with self._lock:
            self._send(request)
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
            request = {
                "module": module,
                "args": list(args),
                "env": env,
                "log": str(streams["stdout"]),
                "stdin": str(streams["stdin"]),
                "stderr": str(streams["stderr"]),
                "cwd": os.getcwd(),
            }
            with self._lock:
                self._send(request)
                reply = self._reply(timeout=30)
            if "pid" not in reply:
                raise RuntimeError(f"prefork server could not start {module}: {reply}")
            process = ForkedProcess(self, int(reply["pid"]), [module, *args])
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


# --- the server process ----------------------------------------------------------


def _write(message: dict[str, Any]) -> None:
    os.write(1, json.dumps(message).encode() + b"\n")


def _child(request: dict[str, Any], closing: Sequence[int], started: int) -> int:
    """In the fork: become the service (``python -m module``) and return its exit code.

    ``started`` is written to (and closed) once the process leads its own session.
    """
    signal.set_wakeup_fd(-1)
    for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, signal.SIG_DFL)
    for fd in closing:
        with contextlib.suppress(OSError):
            os.close(fd)
    os.setsid()
    os.write(started, b"1")
    os.close(started)
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    source = os.open(request.get("stdin") or os.devnull, os.O_RDONLY)
    os.dup2(source, 0)
    os.close(source)
    log = request.get("log")
    out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644) if log else os.dup(2)
    errors = request.get("stderr")
    err = os.open(errors, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644) if errors else out
    os.dup2(out, 1)
    os.dup2(err, 2)
    os.close(out)
    if err != out:
        os.close(err)
    sys.stdin = open(0, closefd=False)  # noqa: SIM115 - the process's own stdin
    sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = [request["module"], *request["args"]]
    # As ``python -m`` would have it: the working folder first, then PYTHONPATH.
    extra = [entry for entry in request["env"].get("PYTHONPATH", "").split(os.pathsep) if entry]
    sys.path[:] = [request["cwd"], *extra, *sys.path[1:]]
    # A package's ``__main__`` was preloaded as a module; run afresh as ``python -m`` runs
    # it (runpy warns of the preloaded copy otherwise). Its imports stay loaded.
    sys.modules.pop(f"{request['module']}.__main__", None)
    try:
        runpy.run_module(request["module"], run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        print(exc.code, file=sys.stderr)
        return 1
    except BaseException:
        traceback.print_exc()
        return 1
    return 0


def _reap(children: set[int], *, block: bool = False) -> None:
    """Report every child that ended (waiting for one if ``block``)."""
    flags = 0 if block else os.WNOHANG
    while children:
        try:
            pid, status = os.waitpid(-1, flags)
        except ChildProcessError:
            children.clear()
            return
        if pid == 0:
            return
        children.discard(pid)
        _write({"exited": pid, "code": os.waitstatus_to_exitcode(status)})
        flags = os.WNOHANG


def _stop_children(children: set[int], grace: float = 15.0) -> None:
    """SIGTERM every child's group, report them as they end; SIGKILL after ``grace``."""
    for pid in children:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while children and time.monotonic() < deadline:
        _reap(children)
        time.sleep(0.05)
    for pid in children:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
    _reap(children, block=True)


def serve(preload: Sequence[str], requests: IO[bytes]) -> int:
    """The server's loop; returns the exit code of whichever process leaves it."""
    for module in preload:
        with contextlib.suppress(ImportError):
            importlib.import_module(module)
    if "switchboard.http_clients" in sys.modules:
        # Loading the CA bundle is most of an HTTP client's set-up; children share it.
        sys.modules["switchboard.http_clients"].tls_context()
    # What is loaded now stays out of the children's collections: a collection in a
    # child would otherwise write to every inherited object and copy its page.
    gc.collect()
    gc.freeze()
    if threading.active_count() > 1:
        print("prefork: a preloaded module started a thread", file=sys.stderr)
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGTERM, lambda *_: None)  # handled by the loop: children first
    selector = selectors.DefaultSelector()
    stdin = requests.fileno()  # 0: replaced by /dev/null in children
    selector.register(stdin, selectors.EVENT_READ)
    selector.register(wake_read, selectors.EVENT_READ)
    children: set[int] = set()
    buffer = b""
    _write({"ready": True, "pid": os.getpid()})
    while True:
        for key, _ in selector.select():
            if key.fd == wake_read:
                signals = os.read(wake_read, 512)
                if signal.SIGTERM in signals:
                    _stop_children(children)
                    return 0
                _reap(children)
                continue
            chunk = os.read(stdin, 65536)
            if not chunk:  # the launcher is done
                _stop_children(children)
                return 0
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                request = json.loads(line)
                sys.stdout.flush()
                sys.stderr.flush()
                started_read, started_write = os.pipe()
                pid = os.fork()
                if pid == 0:
                    selector.close()
                    os.close(started_read)
                    return _child(request, (wake_read, wake_write), started_write)
                children.add(pid)
                # Answer once the child leads its own group, as Popen(start_new_session=True).
                os.close(started_write)
                os.read(started_read, 1)
                os.close(started_read)
                _write({"pid": pid})


def main() -> None:
    if sys.platform.startswith("linux"):
        import ctypes

        # Gone with the launcher: its children then get SIGTERM from their own parent death.
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    raise SystemExit(serve(sys.argv[1:], sys.stdin.buffer))


if __name__ == "__main__":
    main()
