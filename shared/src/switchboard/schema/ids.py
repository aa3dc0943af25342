"""Ids by type, and how an id goes into an internal service's URL.

Switchboard mints threads, sessions, files and feedback as uuid4 text; steps
and elements are uuid4 too unless an app names its own, so those take a wider
but still inert shape. Every edge checks ids against these types, and ids
reach other services only as encoded path segments, so no id can add a path
segment, climb with ``..`` or carry control characters.
"""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import quote

from pydantic import BeforeValidator, StringConstraints

__all__ = (
    "APP_ID_PATTERN",
    "UUID_PATTERN",
    "AppId",
    "OptionalAppId",
    "OptionalUuidId",
    "UuidId",
    "internal_path",
    "is_app_id",
    "is_uuid_id",
)

# Canonical UUID text, either case: what Python and browsers print.
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
# Ids an app may choose (steps, elements): a uuid by default; never a separator, a
# dot segment, whitespace or a control character. 255 is the stored column's width.
APP_ID_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,254}$"

_UUID = re.compile(UUID_PATTERN)
_APP_ID = re.compile(APP_ID_PATTERN)


def _empty_is_none(value: Any) -> Any:
    # Browsers send "" for "no id" as often as null.
    return None if value == "" else value


UuidId = Annotated[str, StringConstraints(pattern=UUID_PATTERN)]
AppId = Annotated[str, StringConstraints(pattern=APP_ID_PATTERN)]
OptionalUuidId = Annotated[UuidId | None, BeforeValidator(_empty_is_none)]
OptionalAppId = Annotated[AppId | None, BeforeValidator(_empty_is_none)]


def is_uuid_id(value: object) -> bool:
    return isinstance(value, str) and _UUID.fullmatch(value) is not None


def is_app_id(value: object) -> bool:
    return isinstance(value, str) and _APP_ID.fullmatch(value) is not None


def internal_path(*segments: str) -> str:
    """``/a/b/c`` with each segment percent-encoded, dots included.

    httpx encodes neither ``/`` nor ``..`` in a path and resolves dot segments,
    so an id pasted into an f-string can reach another route. Encoding keeps
    the client from doing so; the receiving service still checks the id's
    type, since ASGI servers decode the path before routing.
    """
    return "/" + "/".join(quote(s, safe="").replace(".", "%2E") for s in segments)
