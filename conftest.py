"""Fixtures every test in the repository can use (real Redis, PostgreSQL, stacks)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.services import ensure_services

pytest_plugins = ["tests.support.fixtures"]

_STOPS: list[Callable[[], None]] = []


def pytest_configure(config: pytest.Config) -> None:
    # Parallel workers inherit the controller's variables; only it starts containers.
    if not hasattr(config, "workerinput"):
        _STOPS.extend(ensure_services())


def pytest_unconfigure(config: pytest.Config) -> None:
    while _STOPS:
        _STOPS.pop()()
