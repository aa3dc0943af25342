"""The ``switchboard`` command: run an app locally, run a worker, make secrets."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import webbrowser
from pathlib import Path
from typing import Annotated

import typer

from switchboard.config import generate_secret
from switchboard.ops import register as register_ops
from switchboard.stack import LocalRedis, LocalStack, StackError
from switchboard.starter import HELLO_APP, AppWatcher, write_starter

__all__ = ("app", "main")

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Switchboard command line.")


def _find_config(app_path: Path) -> Path | None:
    for base in (app_path.resolve().parent, Path.cwd()):
        candidate = base / ".chainlit" / "config.toml"
        if candidate.is_file():
            return candidate
    return None


def _check_app(target: Path, config_file: Path | None) -> bool:
    """Import the app as a worker would, before anything starts (Chainlit fails fast too).

    The check runs in its own process, with the ``chainlit`` alias the worker
    installs; its output (the import error and traceback) goes to the terminal.
    """
    env = {**os.environ, "SWITCHBOARD_LOG_JSON": "false"}
    if config_file is not None:
        env["SWITCHBOARD_CONFIG_FILE"] = str(config_file)
    command = [sys.executable, "-m", "switchboard_worker", "--check", str(target.resolve())]
    return subprocess.run(command, env=env, check=False).returncode == 0


def _uses_data_layer(target: Path, config_file: Path | None) -> bool:
    """The app defines ``@cl.data_layer`` and nothing chose another storage mode.

    Asked in a process of its own, as the import check is: the data layer is then
    built by the persistence service alone (``SWITCHBOARD_PERSISTENCE_SCHEMA=app``).
    """
    if "SWITCHBOARD_PERSISTENCE_SCHEMA" in os.environ:
        return False
    env = {**os.environ, "SWITCHBOARD_LOG_JSON": "false"}
    if config_file is not None:
        env["SWITCHBOARD_CONFIG_FILE"] = str(config_file)
    command = [sys.executable, "-m", "switchboard.data.loading", str(target.resolve())]
    quiet = subprocess.DEVNULL  # the import check before this one showed any error
    found = subprocess.run(command, env=env, check=False, stdout=quiet, stderr=quiet)
    return found.returncode == 0


@app.command()
def run(
    target: Annotated[Path, typer.Argument(help="The app module, e.g. app.py")],
    port: Annotated[int, typer.Option(help="Port of the public gateway")] = 8000,
    host: Annotated[str, typer.Option(help="Address the public gateway listens on")] = (
        "127.0.0.1"
    ),
    root_path: Annotated[
        str, typer.Option("--root-path", help="Serve under this path, e.g. /chat")
    ] = "",
    workers: Annotated[int, typer.Option(min=1, help="Worker processes")] = 1,
    watch: Annotated[
        bool,
        typer.Option("--watch", "-w", help="Reload the workers when the app or its config changes"),
    ] = False,
    headless: Annotated[bool, typer.Option("--headless", help="Do not open a browser")] = False,
    database_url: Annotated[
        str | None, typer.Option(envvar="SWITCHBOARD_DATABASE_URL", help="Database URL")
    ] = None,
    redis_url: Annotated[
        str | None,
        typer.Option(help="Use this Redis instead of starting a local one"),
    ] = None,
) -> None:
    """Start the whole stack for an app, as ``chainlit run`` does, and print one URL."""
    _run(
        target,
        port=port,
        host=host,
        root_path=root_path,
        workers=workers,
        watch=watch,
        headless=headless,
        database_url=database_url,
        redis_url=redis_url,
    )


def _run(
    target: Path,
    *,
    port: int,
    host: str,
    root_path: str,
    workers: int,
    watch: bool,
    headless: bool,
    database_url: str | None,
    redis_url: str | None,
) -> None:
    if root_path and not root_path.startswith("/"):
        typer.echo(f"switchboard run: --root-path must start with '/': {root_path!r}", err=True)
        raise typer.Exit(2)
    if not target.is_file():
        typer.echo(f"switchboard run: no such app module: {target}", err=True)
        raise typer.Exit(2)
    config_file = _find_config(target)
    if not _check_app(target, config_file):
        typer.echo(f"switchboard run: {target} cannot be loaded (see the error above)", err=True)
        raise typer.Exit(1)
    storage_env: dict[str, str] = {}
    if _uses_data_layer(target, config_file):
        storage_env["SWITCHBOARD_PERSISTENCE_SCHEMA"] = "app"
        typer.echo(
            f"switchboard run: history is stored by {target.name}'s @cl.data_layer", err=True
        )
    state_dir = Path(".switchboard")
    state_dir.mkdir(exist_ok=True)
    redis: LocalRedis | None = None
    if redis_url is None:
        try:
            redis = LocalRedis(die_with_parent=True).start()
        except StackError as exc:
            typer.echo(f"switchboard run: {exc}", err=True)
            raise typer.Exit(1) from exc
        redis_url = redis.url
    stack = LocalStack(
        app=target.resolve(),
        redis_url=redis_url,
        database_url=database_url
        or f"sqlite+aiosqlite:///{(state_dir / 'switchboard.db').resolve()}",
        auth_database_url=f"sqlite+aiosqlite:///{(state_dir / 'auth.db').resolve()}",
        config_file=config_file,
        gateway_port=port,
        workers=workers,
        log_json=False,
        die_with_parent=True,
        extra_env={
            "SWITCHBOARD_GATEWAY_HOST": host,
            # Probes and metrics stay on loopback whatever the public address.
            "SWITCHBOARD_GATEWAY_OPS_HOST": "127.0.0.1",
            "SWITCHBOARD_ROOT_PATH": root_path.rstrip("/"),
            **storage_env,
        },
    )
    stopping = False

    def _stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    try:
        stack.start()
        shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        url = f"http://{shown_host}:{port}{root_path.rstrip('/')}"
        typer.echo(f"\n  Switchboard is running {target.name} at {url}\n", err=True)
        if not headless and _has_display():
            webbrowser.open(url)
        watcher = AppWatcher(target.resolve().parent) if watch else None
        while not stopping:
            for name, process in list(stack.processes.items()):
                if process.poll() is not None and name not in stack.retired:
                    typer.echo(f"switchboard run: {name} exited ({process.returncode})", err=True)
                    stopping = True
            if watcher is not None and watcher.changed():
                _reload(stack, target, config_file)
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    except StackError as exc:
        typer.echo(f"switchboard run: {exc}", err=True)
        raise typer.Exit(1) from exc
    finally:
        stack.stop()
        if redis is not None:
            redis.stop()


def _has_display() -> bool:
    """Open a browser only where one can show: never a text browser in a server's terminal."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _reload(stack: LocalStack, target: Path, config_file: Path | None) -> None:
    """New workers on the new code; the old ones finish what they run, then stop."""
    if not _check_app(target, config_file):
        typer.echo(
            f"switchboard run: {target.name} changed but cannot be loaded; "
            "the workers keep the previous version",
            err=True,
        )
        return
    stack.replace_workers()
    typer.echo(f"switchboard run: {target.name} changed, workers reloaded", err=True)


@app.command()
def init(
    folder: Annotated[Path, typer.Argument(help="Where to write the app")] = Path("."),
) -> None:
    """Write a starter app (app.py, chainlit.md, .chainlit/config.toml), as ``chainlit init``."""
    try:
        written = write_starter(folder)
    except FileExistsError as exc:
        typer.echo(f"switchboard init: {exc} already exists; nothing was written", err=True)
        raise typer.Exit(1) from exc
    for path in written:
        typer.echo(f"created {path}")
    typer.echo(f"run it with: switchboard run {folder / 'app.py'}")


@app.command()
def hello(
    port: Annotated[int, typer.Option(help="Port of the public gateway")] = 8000,
    headless: Annotated[bool, typer.Option("--headless", help="Do not open a browser")] = False,
) -> None:
    """Run the bundled hello app, to see Switchboard answer before writing one."""
    _run(
        HELLO_APP,
        port=port,
        host="127.0.0.1",
        root_path="",
        workers=1,
        watch=False,
        headless=headless,
        database_url=None,
        redis_url=None,
    )


@app.command()
def worker(
    target: Annotated[Path, typer.Argument(help="The app module, e.g. app.py")],
) -> None:
    """Run one worker process for an app (the stack's other services run elsewhere)."""
    os.execv(sys.executable, [sys.executable, "-m", "switchboard_worker", str(target)])


@app.command(
    "users",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,
)
def users(ctx: typer.Context) -> None:
    """Manage the built-in user store: add, list, remove, set-password."""
    os.execv(sys.executable, [sys.executable, "-m", "switchboard_auth", "users", *ctx.args])


@app.command(
    "import",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,
)
def import_(ctx: typer.Context) -> None:
    """Copy a database Chainlit's SQLAlchemy data layer wrote into Switchboard's schema."""
    args = [sys.executable, "-m", "switchboard_persistence", "import", *ctx.args]
    os.execv(sys.executable, args)


# The services that own a database, in the order a deployment migrates them.
_MIGRATED = ("switchboard_auth", "switchboard_persistence")


@app.command()
def migrate() -> None:
    """Upgrade the auth and persistence databases to the latest schema, then exit."""
    import subprocess

    for module in _MIGRATED:
        typer.echo(f"migrating {module.removeprefix('switchboard_')} ...")
        done = subprocess.run([sys.executable, "-m", module, "migrate"], check=False)
        if done.returncode != 0:
            typer.echo(f"{module} migration failed (exit {done.returncode})", err=True)
            raise typer.Exit(done.returncode)
    typer.echo("databases are up to date")


@app.command("create-secret")
def create_secret() -> None:
    """Print a random secret for SWITCHBOARD_SERVICE_SECRET or CHAINLIT_AUTH_SECRET."""
    typer.echo(generate_secret())


register_ops(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
