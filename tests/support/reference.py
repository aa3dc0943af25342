"""Chainlit 2.12 itself, run as a reference implementation beside Switchboard.

Chainlit is installed from PyPI into a virtualenv of its own and only ever runs as a
separate process (``chainlit run``); nothing here imports it. Tests and benchmarks drive
it with the same protocol client they use against Switchboard and compare what comes back.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

from switchboard.stack import free_port
from tests.support.fixtures import REPO

__all__ = ("CHAINLIT_VERSION", "ChainlitServer", "as_chainlit_app", "reference_venv")

CHAINLIT_VERSION = "2.12.0"
# The libraries the examples use beside Chainlit, and those of Chainlit's SQLAlchemy data
# layer (bench/vs_chainlit.py --postgres), at the versions Switchboard's lock holds.
_ALSO = (
    "openai==3.57.0",
    "langchain-core==1.8.3",
    "asyncpg==0.32.0",
    "sqlalchemy==2.1.9",
    "greenlet==3.5.6",
)
_IMPORTS = re.compile(r"^(\s*)(import|from) switchboard\b", re.MULTILINE)


def reference_venv() -> Path:
    """The virtualenv holding ``chainlit==2.12.0``, created on first use (about 15 s).

    ``SWITCHBOARD_REFERENCE_VENV`` names another folder; the default lives in the
    checkout's ``.cache/`` (ignored by git). A lock file keeps parallel runs from
    installing into the same folder at once.
    """
    default = REPO / ".cache" / f"chainlit-{CHAINLIT_VERSION}"
    venv = Path(os.environ.get("SWITCHBOARD_REFERENCE_VENV", default))
    python = venv / "bin" / "python"
    marker = venv / ".installed"
    wanted = " ".join((f"chainlit=={CHAINLIT_VERSION}", *_ALSO))
    if marker.exists() and marker.read_text() == wanted:
        return venv
    venv.parent.mkdir(parents=True, exist_ok=True)
    with (venv.parent / f"{venv.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists() and marker.read_text() == wanted:
            return venv
        uv = shutil.which("uv")
        if uv is None:
            raise RuntimeError("uv is needed to install the reference Chainlit (pip install uv)")
        shutil.rmtree(venv, ignore_errors=True)
        run = [uv, "venv", "--quiet", "--python", sys.executable, str(venv)]
        subprocess.run(run, check=True)
        install = [uv, "pip", "install", "--quiet", "--compile-bytecode", "--python", str(python)]
        subprocess.run([*install, f"chainlit=={CHAINLIT_VERSION}", *_ALSO], check=True)
        marker.write_text(wanted)
    return venv


def as_chainlit_app(source: str) -> str:
    """An example written against ``switchboard`` imported as ``chainlit`` instead.

    Apps written for the compat suite already say ``import chainlit as cl`` and pass
    through unchanged.
    """
    return _IMPORTS.sub(lambda m: f"{m.group(1)}{m.group(2)} chainlit", source)


@dataclass
class ChainlitServer:
    """``chainlit run app.py --headless`` in a folder of its own, on a free port."""

    app: Path
    config: str = ""
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="chainlit-ref-")))
    process: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.folder / "chainlit.log"

    def launch(self) -> ChainlitServer:
        """Start the process without waiting for it (see ``wait_ready``)."""
        venv = reference_venv()
        target = self.folder / self.app.name
        target.write_text(as_chainlit_app(self.app.read_text()))
        public = self.app.parent / "public"
        if public.is_dir():
            shutil.copytree(public, self.folder / "public", dirs_exist_ok=True)
        if self.config:
            (self.folder / ".chainlit").mkdir(exist_ok=True)
            (self.folder / ".chainlit" / "config.toml").write_text(self.config)
        env = {
            "PATH": f"{venv / 'bin'}:{os.environ.get('PATH', '')}",
            "HOME": str(self.folder),
            "CHAINLIT_AUTH_SECRET": "reference-server-secret-for-tests-only-0123456789",
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }
        command = [
            str(venv / "bin" / "chainlit"),
            "run",
            target.name,
            "--headless",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            command, cwd=self.folder, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )
        return self

    def wait_ready(self, timeout: float = 60) -> ChainlitServer:
        assert self.process is not None, "launch() first"
        deadline = time.monotonic() + timeout
        relaunches = 0
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                log = self.log_path.read_text(errors="replace")
                if "address already in use" in log and relaunches < 3:
                    # Its free port was taken before it bound (parallel test processes).
                    relaunches += 1
                    if self._log is not None:
                        self._log.close()
                    self.port = free_port()
                    self.launch()
                    continue
                raise RuntimeError(f"chainlit exited: {log[-3000:]}")
            try:
                if httpx.get(f"{self.url}/project/settings", timeout=1).status_code < 500:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"chainlit did not answer in {timeout} s: {self.log()}")

    def start(self) -> ChainlitServer:
        return self.launch().wait_ready()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log is not None:
            self._log.close()
        shutil.rmtree(self.folder, ignore_errors=True)
