"""A private PostgreSQL cluster a test can stop and start at will.

Fault tests must not stop the machine's shared server, so they run their own:
``initdb`` + ``pg_ctl`` on a free port in a fresh directory. PostgreSQL refuses
to run as root; then every command runs as the ``postgres`` account through
``runuser``, in a directory that account owns. Anything that goes wrong raises
:class:`PostgresError`, which tests turn into a failure, never a skip.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from switchboard.stack import free_port

__all__ = ("LocalPostgres", "PostgresError")

PG_BIN = Path(os.environ.get("SWITCHBOARD_PG_BIN", "/usr/lib/postgresql/15/bin"))
DATABASE = "switchboard"


class PostgresError(RuntimeError):
    """The private cluster could not be created, started or stopped."""


@dataclass
class LocalPostgres:
    port: int = field(default_factory=free_port)
    root: Path | None = None
    _as_postgres: bool = False

    @property
    def data(self) -> Path:
        assert self.root is not None, "start() first"
        return self.root / "data"

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the cluster's ``switchboard`` database (asyncpg driver)."""
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{DATABASE}"

    @property
    def dsn(self) -> str:
        """The same database for asyncpg.connect()."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def _run(self, *args: str, timeout: float = 60.0) -> str:
        command = [str(PG_BIN / args[0]), *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=timeout, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PostgresError(f"{args[0]} failed: {exc!r}") from exc
        if done.returncode != 0:
            raise PostgresError(f"{args[0]} exited {done.returncode}: {done.stderr[-2000:]}")
        return done.stdout

    def create(self) -> LocalPostgres:
        if not (PG_BIN / "initdb").exists():
            raise PostgresError(f"no initdb in {PG_BIN} (set SWITCHBOARD_PG_BIN)")
        # Under /tmp rather than pytest's tmp_path: the postgres account must reach it.
        self.root = Path(tempfile.mkdtemp(prefix="switchboard-pg-"))
        if os.geteuid() == 0:
            try:
                account = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise PostgresError("running as root and there is no postgres account") from exc
            os.chown(self.root, account.pw_uid, account.pw_gid)
            self._as_postgres = True
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "--no-sync",
            "-E",
            "UTF8",
        )
        self.start()
        self._run(
            "psql",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-c",
            f"CREATE DATABASE {DATABASE}",
        )
        return self

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} "
            # No fsync: only the server process is ever killed, never the machine, so the
            # OS still holds every committed write. Commits stay synchronous (a server
            # crash must not lose a commit the client was told about).
            "-c fsync=off -c full_page_writes=off "
            "-c max_connections=200"
        )
        assert self.root is not None
        self._run(
            "pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "pg.log"), "-w",
            "-t", "60", "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """Stop the server; ``immediate`` drops every connection as a crash would."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def running(self) -> bool:
        if self.root is None:
            return False
        try:
            self._run("pg_ctl", "-D", str(self.data), "status")
        except PostgresError:
            return False
        return True

    def destroy(self) -> None:
        if self.root is None:
            return
        if self.running():
            with contextlib.suppress(PostgresError):
                self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None

    def wait_accepting(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self._run("pg_isready", "-h", "127.0.0.1", "-p", str(self.port), timeout=5)
                return
            except PostgresError:
                time.sleep(0.2)
        raise PostgresError(f"PostgreSQL on port {self.port} not accepting after {timeout} s")
