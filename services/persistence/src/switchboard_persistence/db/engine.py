"""Engine construction and schema migrations."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from switchboard_persistence.settings import PersistenceSettings, normalise_database_url

__all__ = ("VERSION_TABLE", "alembic_config", "make_engine", "migrate")

_MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# Own version table, so sharing a database with another service's Alembic never collides.
VERSION_TABLE = "persistence_alembic_version"
# SQLite waits this long for a competing writer instead of failing at once.
_SQLITE_BUSY_MS = 10_000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Foreign keys (cascades) are off by default in SQLite; WAL lets the API read while
    # the consumer writes.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(settings: PersistenceSettings, url: str | None = None) -> AsyncEngine:
    """An engine for ``url`` (default: the service's own database) with the pool settings."""
    url = normalise_database_url(url) if url else settings.database_url
    if url.startswith("sqlite"):
        engine = create_async_engine(url)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout,
        pool_pre_ping=True,
        # Recycle before common proxies and load balancers cut idle connections.
        pool_recycle=1800,
    )


def alembic_config(database_url: str) -> Config:
    """Alembic's configuration built in code, so no ini file has to ship."""
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.set_main_option(
        "sqlalchemy.url", normalise_database_url(database_url).replace("%", "%%")
    )
    config.set_main_option("version_table", VERSION_TABLE)
    return config


async def migrate(database_url: str) -> None:
    """Bring the schema to the latest revision; safe to run again and from several replicas."""
    await asyncio.to_thread(command.upgrade, alembic_config(database_url), "head")
