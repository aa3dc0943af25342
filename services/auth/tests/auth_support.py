"""Helpers of the auth service's in-process tests (imported by name: this folder is on sys.path)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import httpx

__all__ = ("AUTH_SECRET", "PASSWORD", "SERVICE_SECRET", "USER", "OpenAuth")

SERVICE_SECRET = "auth-in-process-test-secret-" + "a" * 32
# Signs the users' tokens (Chainlit's CHAINLIT_AUTH_SECRET).
AUTH_SECRET = "auth-in-process-jwt-secret-" + "j" * 32
USER = "alice"
PASSWORD = "correct horse battery staple"

# The ``open_auth`` fixture: ``async with open_auth(**setting_overrides) as http: ...``
OpenAuth = Callable[..., contextlib.AbstractAsyncContextManager[httpx.AsyncClient]]
