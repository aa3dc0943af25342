"""MCP header and env values sealed with a key from the service secret."""

from __future__ import annotations

import pytest

from switchboard.mcp import SseMcpConnection, StdioMcpConnection
from switchboard.schema.mcp import McpSpec
from switchboard.sealing import SEALED_PREFIX, SealError, SecretSealer

SECRET = "sealing-test-secret-" + "s" * 40


def _specs() -> list[McpSpec]:
    return [
        McpSpec(
            connection=StdioMcpConnection(name="files", command="npx", args=["srv"]),
            env={"API_TOKEN": "env-s3cret"},
        ),
        McpSpec(
            connection=SseMcpConnection(
                name="search", url="http://127.0.0.1:1/sse", headers={"X-Key": "hdr-s3cret"}
            )
        ),
    ]


@pytest.mark.parametrize("spec", _specs(), ids=lambda s: s.name)
def test_a_sealed_spec_hides_values_keeps_names_and_opens_back(spec: McpSpec) -> None:
    sealer = SecretSealer(SECRET)
    sealed = sealer.seal_spec(spec)
    text = sealed.model_dump_json()
    assert "s3cret" not in text and SEALED_PREFIX in text
    assert sealed.public() == spec.public()
    assert sealer.seal_spec(sealed) == sealed  # sealing twice changes nothing
    # Another process with the same secret opens it (the key is derived, not random).
    assert SecretSealer(SECRET).open_spec(McpSpec.model_validate_json(text)) == spec


def test_another_secret_or_a_tampered_value_cannot_open_it() -> None:
    sealed = SecretSealer(SECRET).seal("hdr-s3cret")
    with pytest.raises(SealError):
        SecretSealer("another-secret-" + "o" * 40).open(sealed)
    with pytest.raises(SealError):
        SecretSealer(SECRET).open(sealed[:-4] + "AAAA")
    with pytest.raises(SealError):
        SecretSealer(SECRET).open("plain value")
    with pytest.raises(ValueError):
        SecretSealer("")
