"""``@cl.data_layer`` and ``get_data_layer()``: the app's instance, built once per process."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import switchboard as cl
from switchboard.data import BaseDataLayer, get_data_layer
from switchboard.data.sql_alchemy import SQLAlchemyDataLayer
from switchboard.sdk.callbacks import registry
from switchboard.sdk.unavailable import UnavailableError


@pytest.fixture(autouse=True)
def clean_registry() -> Iterator[None]:
    before = registry.data_layer
    registry.data_layer = None
    yield
    registry.data_layer = before


def test_without_a_data_layer_it_names_the_persistence_service() -> None:
    with pytest.raises(UnavailableError, match="persistence service"):
        get_data_layer()


async def test_the_decorated_factory_is_called_once(tmp_path: Any) -> None:
    calls: list[int] = []

    @cl.data_layer
    def make() -> BaseDataLayer:
        calls.append(1)
        return SQLAlchemyDataLayer(conninfo=f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")

    first = get_data_layer()
    assert isinstance(first, SQLAlchemyDataLayer)
    assert get_data_layer() is first and calls == [1]
    await first.close()


def test_a_factory_returning_something_else_is_refused() -> None:
    @cl.data_layer
    def wrong() -> Any:
        return object()

    with pytest.raises(TypeError, match="not a BaseDataLayer"):
        get_data_layer()
