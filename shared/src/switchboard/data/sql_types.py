"""Column types that read the same on PostgreSQL and SQLite.

Chainlit's schema uses ``JSONB`` and ``TEXT[]``, which SQLite lacks; a database made
for SQLite holds the same values as JSON text. These types pick the native type on
PostgreSQL and JSON text elsewhere, so callers see dicts and lists either way.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Dialect, Text
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import TypeDecorator, TypeEngine

__all__ = ("PortableJson", "PortableTags")


class PortableJson(TypeDecorator[Any]):
    """``JSONB`` on PostgreSQL (None is SQL NULL); JSON text elsewhere, decoded on read."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.JSONB(none_as_null=True))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None or dialect.name == "postgresql":
            return value
        return json.dumps(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        # SQLite hands back the text; text that is not JSON is returned as it is.
        if isinstance(value, str):
            try:
                return json.loads(value)
            except json.JSONDecodeError:
                return value
        return value


class PortableTags(TypeDecorator[Any]):
    """``TEXT[]`` on PostgreSQL; a JSON list as text elsewhere (a bare string is one tag)."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.ARRAY(Text()))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None or dialect.name == "postgresql":
            return value
        return json.dumps(list(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if isinstance(value, str):
            try:
                loaded = json.loads(value)
            except json.JSONDecodeError:
                return [value]
            return loaded if isinstance(loaded, list) else [value]
        return value
