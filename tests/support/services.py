"""Find the PostgreSQL and Redis the suite talks to, or start them in containers.

The suite expects both on 127.0.0.1 (``TEST_REDIS_URL``, ``TEST_DATABASE_URL``
override). When one does not answer and a Docker engine does, a container is
started for it with testcontainers and the variable is pointed at it, before
any test module reads it; parallel workers inherit the variables. With neither,
the tests that need the service fail and say why.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

__all__ = ("DEFAULT_DATABASE_URL", "DEFAULT_REDIS_URL", "ensure_services")

logger = logging.getLogger(__name__)

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/test"

# Images the containers run (major versions the deployment uses).
REDIS_IMAGE = "redis:7"
POSTGRES_IMAGE = "postgres:16"


def answers(url: str, timeout: float = 1.0) -> bool:
    """Whether something accepts TCP connections where ``url`` points."""
    parts = urlsplit(url)
    default = 6379 if parts.scheme.startswith("redis") else 5432
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or default), timeout
        ):
            return True
    except OSError:
        return False


def docker_engine() -> bool:
    try:
        import docker  # testcontainers' client; a dev dependency

        client = docker.from_env(timeout=3)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


def _start_redis() -> tuple[str, Callable[[], None]]:
    from testcontainers.redis import RedisContainer

    container = RedisContainer(REDIS_IMAGE).start()
    host, port = container.get_container_host_ip(), container.get_exposed_port(6379)
    return f"redis://{host}:{port}/0", container.stop


def _start_postgres() -> tuple[str, Callable[[], None]]:
    from testcontainers.postgres import PostgresContainer

    container = PostgresContainer(
        POSTGRES_IMAGE, username="postgres", password="postgres", dbname="test", driver=None
    ).start()
    host, port = container.get_container_host_ip(), container.get_exposed_port(5432)
    return f"postgresql://postgres:postgres@{host}:{port}/test", container.stop


def ensure_services() -> list[Callable[[], None]]:
    """Point the test variables at live services; returns how to stop what was started."""
    stops: list[Callable[[], None]] = []
    wanted = (
        ("TEST_REDIS_URL", DEFAULT_REDIS_URL, _start_redis),
        ("TEST_DATABASE_URL", DEFAULT_DATABASE_URL, _start_postgres),
    )
    engine: bool | None = None
    for variable, default, start in wanted:
        url = os.environ.get(variable, default)
        if answers(url):
            continue
        if engine is None:
            engine = docker_engine()
        if not engine:
            continue  # the fixtures that need it fail with the address they tried
        started, stop = start()
        logger.warning("%s did not answer at %s; started a container at %s", variable, url, started)
        os.environ[variable] = started
        stops.append(stop)
    return stops
