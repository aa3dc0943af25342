"""The ``switchboard`` command: run an app locally, run a worker, make secrets."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from switchboard.config import generate_secret
from switchboard.ops import register as register_ops
from switchboard.stack import LocalRedis, LocalStack, StackError

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


@app.command()
def run(
    target: Annotated[Path, typer.Argument(help="The app module, e.g. app.py")],
    port: Annotated[int, typer.Option(help="Port of the public gateway")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes")] = 1,
    database_url: Annotated[
        str | None, typer.Option(envvar="SWITCHBOARD_DATABASE_URL", help="Database URL")
    ] = None,
    redis_url: Annotated[
        str | None,
        typer.Option(help="Use this Redis instead of starting a local one"),
    ] = None,
) -> None:
    """Start the whole stack for an app, as ``chainlit run`` does, and print one URL."""
    if not target.is_file():
        typer.echo(f"switchboard run: no such app module: {target}", err=True)
        raise typer.Exit(2)
    config_file = _find_config(target)
    if not _check_app(target, config_file):
        typer.echo(f"switchboard run: {target} cannot be loaded (see the error above)", err=True)
        raise typer.Exit(1)
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
    )
    stopping = False

    def _stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    try:
        stack.start()
        typer.echo(f"\n  Switchboard is running {target.name} at {stack.url}\n", err=True)
        while not stopping:
            for name, process in stack.processes.items():
                if process.poll() is not None:
                    typer.echo(f"switchboard run: {name} exited ({process.returncode})", err=True)
                    stopping = True
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
