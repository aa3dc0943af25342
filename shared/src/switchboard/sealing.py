"""Secrets at rest in Redis: MCP header and env values, sealed with the service secret.

A session's MCP connection specs travel through its inbox (gateway to worker) and
stay in its Redis state so that the next worker can open them again. Their header
and env values are often credentials, so they are stored sealed: each value is
encrypted and authenticated (Fernet: AES-128-CBC with HMAC-SHA256) with a key
derived by HKDF-SHA256 from ``SWITCHBOARD_SERVICE_SECRET``, which every service
already shares and Redis never sees. Names stay readable (``McpSpec.public()``
shows them); only values are sealed. Changing the service secret makes stored
specs unreadable: the sessions holding them lose their MCP servers, nothing else.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Final

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from switchboard.mcp import StdioMcpConnection
from switchboard.schema.mcp import McpSpec

__all__ = ("SEALED_PREFIX", "SealError", "SecretSealer")

SEALED_PREFIX: Final = "sb-sealed:v1:"
_INFO: Final = b"switchboard mcp secrets at rest v1"


class SealError(ValueError):
    """A sealed value that this key cannot open (another secret, or tampered with)."""


class SecretSealer:
    """Seals and opens string values with a key derived from the service secret."""

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("sealing needs the service secret (SWITCHBOARD_SERVICE_SECRET)")
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
            secret.encode()
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def seal(self, value: str) -> str:
        if value.startswith(SEALED_PREFIX):
            return value
        return SEALED_PREFIX + self._fernet.encrypt(value.encode()).decode()

    def open(self, value: str) -> str:
        if not value.startswith(SEALED_PREFIX):
            raise SealError("the value is not sealed")
        try:
            return self._fernet.decrypt(value[len(SEALED_PREFIX) :].encode()).decode()
        except InvalidToken as exc:
            raise SealError("the value cannot be opened with this service secret") from exc

    def seal_spec(self, spec: McpSpec) -> McpSpec:
        """``spec`` with every env and header value sealed."""
        return _map_secrets(spec, self.seal)

    def open_spec(self, spec: McpSpec) -> McpSpec:
        """``spec`` with its sealed values opened; ``SealError`` if one cannot be."""
        return _map_secrets(spec, self.open)

    def seal_specs(self, specs: dict[str, McpSpec]) -> dict[str, McpSpec]:
        return {name: self.seal_spec(spec) for name, spec in specs.items()}


def _map_secrets(spec: McpSpec, change: Callable[[str], str]) -> McpSpec:
    conn = spec.connection
    env = {key: change(value) for key, value in spec.env.items()}
    if isinstance(conn, StdioMcpConnection) or not conn.headers:
        return spec.model_copy(update={"env": env})
    headers = {key: change(value) for key, value in conn.headers.items()}
    return spec.model_copy(
        update={"env": env, "connection": conn.model_copy(update={"headers": headers})}
    )
