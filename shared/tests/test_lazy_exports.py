"""Every service package's public names resolve, and nothing else does."""

from __future__ import annotations

import importlib

import pytest

SERVICES = ("gateway", "sessions", "worker", "auth", "persistence")


@pytest.mark.parametrize("service", SERVICES)
def test_every_exported_name_loads_and_unknown_names_fail(service: str) -> None:
    package = importlib.import_module(f"switchboard_{service}")
    assert package.__all__
    for name in package.__all__:
        assert getattr(package, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'not_exported'"):
        package.not_exported  # noqa: B018
