"""Fixtures every test in the repository can use (real Redis, PostgreSQL, stacks)."""

from __future__ import annotations

import pytest

from tests.support.services import ensure_services

# Before ``pytest_plugins`` and any test module read TEST_REDIS_URL and TEST_DATABASE_URL:
# started containers change them. Parallel workers inherit the controller's variables,
# so there both answer and nothing more is started.
_STOPS = ensure_services()

pytest_plugins = ["tests.support.fixtures"]


def pytest_unconfigure(config: pytest.Config) -> None:
    while _STOPS:
        _STOPS.pop()()
