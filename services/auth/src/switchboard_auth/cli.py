"""``switchboard users add|list|remove|set-password``: the built-in user store.

Passwords are always prompted for (or read from standard input when it is not
a terminal), never taken from the command line, where they would end up in
shell history and process listings.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer

from switchboard_auth.db.engine import make_engine, make_sessionmaker, migrate
from switchboard_auth.settings import AuthSettings
from switchboard_auth.users import UserStore

__all__ = ("users_app",)

users_app = typer.Typer(add_completion=False, no_args_is_help=True, help="Manage users.")

T = TypeVar("T")
MIN_PASSWORD = 8


def _run(action: Callable[[UserStore], Awaitable[T]]) -> T:
    async def go() -> T:
        settings = AuthSettings()
        await migrate(settings.database_url)
        engine = make_engine(settings.database_url)
        try:
            return await action(UserStore(make_sessionmaker(engine)))
        finally:
            await engine.dispose()

    return asyncio.run(go())


def _password() -> str:
    if sys.stdin.isatty():
        password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")
    if len(password) < MIN_PASSWORD:
        typer.echo(f"error: a password needs at least {MIN_PASSWORD} characters", err=True)
        raise typer.Exit(2)
    return password


@users_app.command("add")
def add(
    identifier: str,
    display_name: Annotated[str | None, typer.Option(help="Name shown in the UI")] = None,
) -> None:
    """Add a user (prompts for the password)."""
    password = _password()

    async def action(store: UserStore) -> bool:
        if await store.get(identifier) is not None:
            return False
        return await store.set_password(
            identifier, password, create=True, display_name=display_name
        )

    if not _run(action):
        typer.echo(f"error: user {identifier!r} already exists", err=True)
        raise typer.Exit(1)
    typer.echo(f"added {identifier}")


@users_app.command("set-password")
def set_password(identifier: str) -> None:
    """Change a user's password (prompts for it)."""
    password = _password()
    if not _run(lambda store: store.set_password(identifier, password, create=False)):
        typer.echo(f"error: no user {identifier!r}", err=True)
        raise typer.Exit(1)
    typer.echo(f"password changed for {identifier}")


@users_app.command("remove")
def remove(identifier: str) -> None:
    """Remove a user."""
    if not _run(lambda store: store.remove(identifier)):
        typer.echo(f"error: no user {identifier!r}", err=True)
        raise typer.Exit(1)
    typer.echo(f"removed {identifier}")


@users_app.command("list")
def list_users(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """List users."""
    users: list[dict[str, Any]] = _run(lambda store: store.list())
    if as_json:
        typer.echo(json.dumps(users))
        return
    for user in users:
        marker = "password" if user["has_password"] else "external"
        typer.echo(f"{user['identifier']}\t{user['display_name'] or ''}\t{marker}")
