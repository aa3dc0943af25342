"""Fixtures every test in the repository can use (real Redis, PostgreSQL, stacks)."""

pytest_plugins = ["tests.support.fixtures"]
