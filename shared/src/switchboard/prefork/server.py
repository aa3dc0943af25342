"""The prefork server: import once, then fork a process per request.

It speaks JSON lines: requests on stdin, ``{"ready"}``, ``{"pid"}`` and
``{"exited", "code"}`` on stdout. Single-threaded, it forks only from its main
loop, so no lock is held by another thread at fork time.
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
import sys
import threading
import time
import traceback
from collections.abc import Sequence
from typing import IO, Any

__all__ = ("main", "serve")

_PR_SET_PDEATHSIG = 1


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
