"""``switchboard users add|list|remove|set-password``: the built-in user store.

Passwords are always prompted for (or read from standard input when it is not
a terminal), never taken from the command line, where they would end up in
shell history and process listings.

A changed password or a removed user ends the user's tokens and open sockets
on every gateway, so these commands need the deployment's Redis as well as its
database: without Redis they refuse to change anything.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer
from redis.asyncio import Redis
from redis.exceptions import RedisError

from switchboard_auth.credentials import Credentials
from switchboard_auth.db.engine import make_engine, make_sessionmaker, migrate
from switchboard_auth.settings import AuthSettings
from switchboard_auth.users import Removal, UserStore

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


def _change(action: Callable[[UserStore, Credentials], Awaitable[T]]) -> T:
    """Run a change that must reach the gateways' credential cache, or none at all."""

    async def go() -> T:
        settings = AuthSettings()
        redis = Redis.from_url(settings.redis_url)
        try:
            try:
                await redis.ping()
            except (RedisError, OSError) as exc:
                typer.echo(
                    f"error: Redis (SWITCHBOARD_REDIS_URL) is unreachable ({type(exc).__name__}); "
                    "gateways would keep accepting the user's old tokens, so nothing was changed",
                    err=True,
                )
                raise typer.Exit(1) from exc
            await migrate(settings.database_url)
            engine = make_engine(settings.database_url)
            try:
                store = UserStore(make_sessionmaker(engine))
                return await action(store, Credentials(redis, settings.names, store))
            finally:
                await engine.dispose()
        finally:
            await redis.aclose()

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

    async def action(store: UserStore, credentials: Credentials) -> bool:
        if await store.get(identifier) is not None:
            return False
        version = await store.set_password(
            identifier, password, create=True, display_name=display_name
        )
        # Replaces a "no such user" left cached by an earlier removal.
        await credentials.changed(identifier, version, revoke=False)
        return True

    if not _change(action):
        typer.echo(f"error: user {identifier!r} already exists", err=True)
        raise typer.Exit(1)
    typer.echo(f"added {identifier}")


@users_app.command("set-password")
def set_password(identifier: str) -> None:
    """Change a user's password (prompts for it) and sign them out everywhere."""
    password = _password()

    async def action(store: UserStore, credentials: Credentials) -> bool:
        version = await store.set_password(identifier, password, create=False)
        if version is None:
            return False
        await credentials.changed(identifier, version, revoke=True)
        return True

    if not _change(action):
        typer.echo(f"error: no user {identifier!r}", err=True)
        raise typer.Exit(1)
    typer.echo(f"password changed for {identifier}; their existing sessions were signed out")


@users_app.command("remove")
def remove(
    identifier: str,
    turn_off_login: Annotated[
        bool,
        typer.Option(
            "--turn-off-login",
            help="Allow removing the last user with a password, which turns the built-in "
            "login off: anyone who can reach the app can then use it without signing in",
        ),
    ] = False,
) -> None:
    """Remove a user and sign them out everywhere."""

    async def action(store: UserStore, credentials: Credentials) -> Removal:
        outcome = await store.remove(identifier, allow_last_password=turn_off_login)
        if outcome in ("removed", "removed_last"):
            await credentials.changed(identifier, None, revoke=True)
        return outcome

    outcome = _change(action)
    if outcome == "missing":
        typer.echo(f"error: no user {identifier!r}", err=True)
        raise typer.Exit(1)
    if outcome == "last":
        typer.echo(
            f"error: {identifier!r} is the last user with a password. Without one the built-in "
            "store stops requiring login and anyone who can reach the app can use it (unless "
            "the app has a login callback of its own). Add another user first, or pass "
            "--turn-off-login to remove them anyway.",
            err=True,
        )
        raise typer.Exit(1)
    typer.echo(f"removed {identifier}; their existing sessions were signed out")
    if outcome == "removed_last":
        typer.echo(
            "warning: no user has a password any more, so the built-in store no longer "
            "requires login: anyone who can reach the app can use it without signing in "
            "(unless the app has a login callback of its own)",
            err=True,
        )


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
