"""Run deploy/compose.yaml's own services as local processes.

Each service of ours runs its compose ``command`` with its compose ``environment``; the
compose hostnames become 127.0.0.1, each exposed port a free local port, bind-mount and
image paths their sources in the repository, PostgreSQL and Redis the test servers.
Every exposed port of an instance gets a free local port of its own. ``depends_on`` is honoured: one-shots must exit 0, and a ``service_healthy`` dependency
is waited for by running that service's own compose healthcheck.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from switchboard.stack import free_port
from tests.deploy.support import DEPLOY, dockerfile_stages, environment, tool
from tests.support.fixtures import REPO

# What stands in for the compose services that are not ours.
INFRASTRUCTURE = {
    "postgres": "the test PostgreSQL (postgres_url)",
    "redis": "the test Redis (redis_url, redis_prefix)",
    "minio": "left out: no service reads object storage yet",
    "minio-init": "left out with minio",
    "edge": "left out: clients reach each gateway directly",
}
_REDIS_URL = re.compile(r"redis://redis:6379/\d+")
_POSTGRES_URL = re.compile(r"postgresql\+asyncpg://[^@]+@postgres:5432/(?P<db>\w+)")
_SERVICE_URL = re.compile(r"http://(?P<host>[a-z][a-z0-9-]*):(?P<port>\d+)")


class ComposeRunError(RuntimeError):
    """A service exited, failed its healthcheck, or a one-shot failed."""


@dataclass
class Instance:
    service: str
    index: int
    # Exposed container port -> its local port; the first exposed one is the service's own.
    ports: dict[str, int]
    argv: list[str]
    env: dict[str, str]
    healthcheck: list[str] | None
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def port(self) -> int | None:
        return next(iter(self.ports.values()), None)


@dataclass
class ComposeProcesses:
    compose: dict[str, Any]
    redis_url: str
    redis_prefix: str
    databases: dict[str, str]
    workdir: Path
    scale: dict[str, int] = field(default_factory=dict)
    instances: dict[str, list[Instance]] = field(default_factory=dict)
    _logs: list[IO[bytes]] = field(default_factory=list)

    def ours(self) -> list[str]:
        return [name for name in self.compose["services"] if name not in INFRASTRUCTURE]

    def url(self, service: str, index: int = 0, exposed: str | None = None) -> str:
        """An instance's first exposed port, or the local port standing for ``exposed``."""
        instance = self.instances[service][index]
        port = instance.ports[exposed] if exposed is not None else instance.port
        return f"http://127.0.0.1:{port}"

    # --- translation of one compose service into local processes -----------
    def _paths(self, service: dict[str, Any]) -> dict[str, str]:
        """Container paths of bind mounts and of files the image copies in -> local paths."""
        paths = {}
        for volume in service.get("volumes") or []:
            if isinstance(volume, dict) and volume.get("type") == "bind":
                paths[volume["target"]] = str((DEPLOY / volume["source"]).resolve())
        build = service.get("build")
        if build and "target" in build:
            for line in dockerfile_stages(REPO / build["dockerfile"])[build["target"]]:
                parts = line.split()
                if parts[0].upper() == "COPY" and len(parts) == 3:
                    paths[parts[2]] = str(REPO / parts[1])
        return paths

    def _first_ports(self) -> dict[tuple[str, str], int]:
        ports = {}
        for name in self.ours():
            for exposed, local in self.instances[name][0].ports.items():
                ports[(name, exposed)] = local
        return ports

    def _localise(self, value: str, own: dict[str, int], paths: dict[str, str]) -> str:
        value = _REDIS_URL.sub(self.redis_url, value)
        value = _POSTGRES_URL.sub(lambda m: self.databases[m.group("db")], value)
        first = self._first_ports()

        def service_url(match: re.Match[str]) -> str:
            key = (match.group("host"), match.group("port"))
            if key in first:
                return f"http://127.0.0.1:{first[key]}"
            if match.group("host") in self.compose["services"]:
                raise ComposeRunError(f"{match.group(0)}: not an exposed port of a service of ours")
            return match.group(0)

        value = _SERVICE_URL.sub(service_url, value)
        for exposed, local in own.items():
            value = value.replace(f"127.0.0.1:{exposed}", f"127.0.0.1:{local}")
        return paths.get(value, value)

    def _argv(self, argv: list[str], own: dict[str, int], paths: dict[str, str]) -> list[str]:
        programs = {"python": sys.executable, "switchboard": tool("switchboard")}
        out = [programs.get(argv[0], argv[0])]
        for arg in argv[1:]:
            out.append(str(own[arg]) if arg in own else self._localise(arg, own, paths))
        return out

    def _plan(self, name: str, index: int) -> Instance:
        service = self.compose["services"][name]
        ports = {str(exposed): free_port() for exposed in service.get("expose", [])}
        test = (service.get("healthcheck") or {}).get("test")
        if test and test[0] != "CMD":
            raise ComposeRunError(f"{name}: healthcheck must use the exec form [CMD, ...]")
        log = self.workdir / f"{name}-{index}.log"
        return Instance(
            name, index, ports, service["command"], environment(service), test and test[1:], log
        )

    def _finalise(self, instance: Instance) -> None:
        """Translate the compose command, environment and healthcheck to local ones."""
        service = self.compose["services"][instance.service]
        own = instance.ports
        paths = self._paths(service)
        inherited = {
            k: v for k, v in os.environ.items() if not k.startswith(("SWITCHBOARD_", "CHAINLIT_"))
        }
        env = {**inherited, "PYTHONUNBUFFERED": "1"}
        for key, value in instance.env.items():
            if key == "SWITCHBOARD_REDIS_PREFIX":
                value = self.redis_prefix
            elif key.endswith("_HOST") and value == "0.0.0.0":
                value = "127.0.0.1"
            elif key.endswith("_PORT") and value in own:
                value = str(own[value])
            else:
                value = self._localise(value, own, paths)
            env[key] = value
        instance.env = env
        instance.argv = self._argv(instance.argv, own, paths)
        if instance.healthcheck:
            instance.healthcheck = self._argv(instance.healthcheck, own, paths)

    # --- running ---------------------------------------------------------
    def _order(self) -> list[str]:
        done: list[str] = []

        def visit(name: str, trail: tuple[str, ...]) -> None:
            if name in done or name in INFRASTRUCTURE:
                return
            if name in trail:
                raise ComposeRunError(f"depends_on cycle: {' -> '.join((*trail, name))}")
            for dependency in self.compose["services"][name].get("depends_on") or {}:
                visit(dependency, (*trail, name))
            done.append(name)

        for name in self.ours():
            visit(name, ())
        return done

    def _spawn(self, instance: Instance) -> None:
        handle = open(instance.log, "ab")  # noqa: SIM115 - closed in stop()
        self._logs.append(handle)
        instance.process = subprocess.Popen(
            instance.argv,
            env=instance.env,
            cwd=self.workdir,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def _wait_healthy(self, instance: Instance, timeout: float = 90) -> None:
        assert instance.healthcheck is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if instance.process is not None and instance.process.poll() is not None:
                raise ComposeRunError(f"{instance.service} exited ({instance.process.returncode})")
            check = subprocess.run(
                instance.healthcheck, env=instance.env, capture_output=True, timeout=30, check=False
            )
            if check.returncode == 0:
                return
            time.sleep(0.3)
        raise ComposeRunError(f"{instance.service} not healthy after {timeout:.0f} s")

    def _wait_completed(self, instance: Instance, timeout: float = 120) -> None:
        assert instance.process is not None
        code = instance.process.wait(timeout=timeout)
        if code != 0:
            raise ComposeRunError(f"one-shot {instance.service} exited with {code}")

    def start(self) -> ComposeProcesses:
        order = self._order()
        for name in order:
            count = (
                1
                if self.compose["services"][name].get("restart") == "no"
                else self.scale.get(name, 1)
            )
            self.instances[name] = [self._plan(name, i) for i in range(count)]
        for name in order:
            for instance in self.instances[name]:
                self._finalise(instance)
        for name in order:
            for dependency, spec in (
                self.compose["services"][name].get("depends_on") or {}
            ).items():
                if dependency in INFRASTRUCTURE:
                    continue
                for instance in self.instances[dependency]:
                    if spec["condition"] == "service_completed_successfully":
                        self._wait_completed(instance)
                    elif spec["condition"] == "service_healthy":
                        self._wait_healthy(instance)
            for instance in self.instances[name]:
                self._spawn(instance)
        for name in order:
            for instance in self.instances[name]:
                if instance.healthcheck and self.compose["services"][name].get("restart") != "no":
                    self._wait_healthy(instance)
        return self

    def stop(self) -> None:
        running = [i.process for group in self.instances.values() for i in group if i.process]
        for process in running:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in running:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        for handle in self._logs:
            handle.close()

    def log_tails(self, size: int = 3000) -> str:
        parts = []
        for group in self.instances.values():
            for instance in group:
                if instance.log.exists():
                    text = instance.log.read_text(errors="replace")[-size:]
                    parts.append(f"----- {instance.log.name} -----\n{text}")
        return "\n".join(parts)
