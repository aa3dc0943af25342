"""``[features.mcp]`` read with Chainlit's keys, and what it lets a session open."""

from __future__ import annotations

import tomllib

import pytest

from switchboard.config import AppConfig, apply_overrides
from switchboard.mcp import HttpMcpConnection, StdioMcpConnection
from switchboard.mcp_policy import (
    DISABLED,
    McpRefused,
    check_spec,
    configured_specs,
    spec_from_body,
    user_urls_allowed,
)
from switchboard.schema.mcp import McpConnectBody

SESSION = "3f1c2e4a-5b6d-4e7f-8a9b-0c1d2e3f4a5b"
CONFIG = """
[features.mcp]
enabled = true

[features.mcp.sse]
enabled = false

[features.mcp.streamable-http]
enabled = true

[features.mcp.stdio]
enabled = true
allowed_executables = ["npx", "/usr/bin/python3"]
"""


def _config(text: str = CONFIG) -> AppConfig:
    return AppConfig.model_validate(tomllib.loads(text))


def _body(**fields: object) -> McpConnectBody:
    return McpConnectBody.model_validate({"sessionId": SESSION, "name": "tools", **fields})


def test_chainlits_keys_are_read_and_dumped_back_with_their_names() -> None:
    mcp = _config().features.mcp
    assert mcp.enabled and not mcp.sse.enabled and mcp.streamable_http.enabled
    assert mcp.stdio.allowed_executables == ["npx", "/usr/bin/python3"]
    dumped = _config().features.model_dump(by_alias=True)["mcp"]
    assert dumped["streamable-http"] == {"enabled": True}
    # Safer than Chainlit: without a list, no executable is allowed.
    assert AppConfig().features.mcp.stdio.allowed_executables == []
    assert AppConfig().features.mcp.enabled is False


def test_a_chat_profile_can_turn_mcp_on() -> None:
    merged = apply_overrides(AppConfig(), {"features": {"mcp": {"enabled": True}}})
    assert merged.features.mcp.enabled is True
    assert merged.features.mcp.streamable_http.enabled is True


def test_full_command_is_split_and_leading_assignments_become_env() -> None:
    spec = spec_from_body(
        _body(fullCommand="TOKEN=s3cret MODE='a b' npx -y server --flag", env={"OTHER": "x"})
    )
    assert spec.connection == StdioMcpConnection(
        name="tools", command="npx", args=["-y", "server", "--flag"]
    )
    assert spec.env == {"OTHER": "x", "TOKEN": "s3cret", "MODE": "a b"}
    shown = spec.public()
    assert "s3cret" not in repr(shown) and shown["env"] == ["MODE", "OTHER", "TOKEN"]
    check_spec(_config().features.mcp, spec)


def test_http_spec_keeps_headers_out_of_what_is_shown() -> None:
    spec = spec_from_body(
        _body(
            clientType="streamable-http",
            url="http://127.0.0.1:9000/mcp",
            headers={"Authorization": "Bearer s3cret"},
        )
    )
    assert isinstance(spec.connection, HttpMcpConnection)
    assert spec.connection.headers == {"Authorization": "Bearer s3cret"}
    assert "s3cret" not in repr(spec.public())
    check_spec(_config().features.mcp, spec)


@pytest.mark.parametrize(
    ("fields", "config", "message"),
    [
        ({"fullCommand": "npx x"}, "[features.mcp]\nenabled = false\n", DISABLED),
        ({"fullCommand": "sh -c id"}, CONFIG, "'sh' is not allowed"),
        ({"fullCommand": "./npx x"}, CONFIG, "'./npx' is not allowed"),
        ({"fullCommand": "python3 x"}, CONFIG, "'python3' is not allowed"),
        ({"fullCommand": "npx x"}, "[features.mcp]\nenabled = true\n", "'npx' is not allowed"),
        (
            {"clientType": "sse", "url": "http://127.0.0.1:1/sse"},
            CONFIG,
            "sse MCP servers are disabled",
        ),
    ],
)
def test_refusals_say_why(fields: dict[str, object], config: str, message: str) -> None:
    with pytest.raises(McpRefused, match=message):
        check_spec(_config(config).features.mcp, spec_from_body(_body(**fields)))


@pytest.mark.parametrize(
    "fields",
    [
        {"fullCommand": ""},
        {"fullCommand": "A=1 B=2"},
        {"fullCommand": "npx 'unclosed"},
        {"clientType": "streamable-http"},
        {"clientType": "sse", "url": "file:///etc/passwd"},
    ],
)
def test_malformed_requests_are_refused(fields: dict[str, object]) -> None:
    with pytest.raises(McpRefused):
        spec_from_body(_body(**fields))


SERVERS = """
[features.mcp]
enabled = true

[[features.mcp.servers]]
name = "Search"
type = "streamable-http"
url = "http://127.0.0.1:9000/mcp"
headers = { Authorization = "Bearer op-s3cret" }

[[features.mcp.servers]]
name = "files"
type = "stdio"
command = "uvx files-server --root /data"
env = { FILES_TOKEN = "op-token" }

[features.mcp.user_servers]
enabled = true
allowed_urls = ["https://tools.example.com/mcp", "http://127.0.0.1:9000/"]
"""


def test_configured_servers_are_named_by_the_body_and_open_whatever_users_may_add() -> None:
    mcp = _config(SERVERS).features.mcp
    spec = spec_from_body(_body(name="search"), mcp)  # names compare case-insensitively
    assert spec.name == "Search" and isinstance(spec.connection, HttpMcpConnection)
    assert spec.connection.headers == {"Authorization": "Bearer op-s3cret"}
    files = spec_from_body(_body(name="files"), mcp)
    assert files.connection == StdioMcpConnection(
        name="files", command="uvx", args=["files-server", "--root", "/data"]
    )
    # No executable is allowed for users, yet the configured command opens.
    check_spec(mcp, files)
    with pytest.raises(McpRefused, match="'uvx' is not allowed"):
        check_spec(mcp, spec_from_body(_body(name="mine", fullCommand="uvx files-server"), mcp))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "nope"}, "No MCP server named 'nope'"),
        ({"name": "FILES", "fullCommand": "uvx x"}, "belongs to a configured MCP server"),
        (
            {"name": "search", "clientType": "sse", "url": "https://tools.example.com/mcp"},
            "belongs to a configured MCP server",
        ),
    ],
)
def test_configured_names_are_reserved(fields: dict[str, object], message: str) -> None:
    mcp = _config(SERVERS).features.mcp
    with pytest.raises(McpRefused, match=message):
        spec_from_body(McpConnectBody.model_validate({"sessionId": SESSION, **fields}), mcp)


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://tools.example.com/mcp", True),
        ("https://TOOLS.example.com:443/mcp/v2", True),
        ("http://127.0.0.1:9000/anything", True),
        ("https://tools.example.com/mcpx", False),
        ("https://tools.example.com/", False),
        ("http://tools.example.com/mcp", False),
        ("https://tools.example.com:8443/mcp", False),
        ("http://127.0.0.1:9001/mcp", False),
        ("http://localhost:9000/mcp", False),
        ("https://tools.example.com/mcp/../admin", False),
        ("https://tools.example.com/mcp/%2e%2e/admin", False),
        ("https://tools.example.com/mcp%2F..%2Fadmin", False),
        ("https://user:pw@tools.example.com/mcp", False),
        ("https://tools.example.com.evil.net/mcp", False),
    ],
)
def test_user_urls_must_fall_under_an_allowed_prefix(url: str, allowed: bool) -> None:
    mcp = _config(SERVERS).features.mcp
    spec = spec_from_body(_body(name="mine", clientType="sse", url=url), mcp)
    if allowed:
        check_spec(mcp, spec)
    else:
        with pytest.raises(McpRefused, match=r"user_servers\.allowed_urls"):
            check_spec(mcp, spec)


def test_without_an_allow_list_any_url_is_allowed_and_an_empty_one_allows_none() -> None:
    spec = spec_from_body(
        _body(clientType="streamable-http", url="http://10.0.0.1/mcp"), _config().features.mcp
    )
    check_spec(_config().features.mcp, spec)
    closed = _config(CONFIG + "\n[features.mcp.user_servers]\nallowed_urls = []\n").features.mcp
    with pytest.raises(McpRefused, match="not allowed"):
        check_spec(closed, spec)


@pytest.mark.parametrize(
    "entry",
    [
        'name = ""\ncommand = "npx x"',
        'name = "a"\ntype = "stdio"\ncommand = "TOKEN=1 npx x"',
        'name = "a"\ntype = "websocket"\nurl = "ws://x"',
        'name = "a"\ntype = "sse"\nurl = "ftp://x"',
    ],
)
def test_malformed_configured_servers_are_refused(entry: str) -> None:
    text = "[features.mcp]\nenabled = true\n[[features.mcp.servers]]\n" + entry + "\n"
    with pytest.raises(McpRefused, match=r"features\.mcp\.servers\[0\]|url must start"):
        configured_specs(_config(text).features.mcp)


@pytest.mark.parametrize(
    ("extra", "allowed"),
    [
        ("", True),  # Chainlit 2.11's schema: the transport flags decide
        ("[features.mcp.user_servers]\nenabled = false\n", False),
        ('[[features.mcp.servers]]\nname = "a"\ntype = "sse"\nurl = "http://x/sse"\n', False),
        (
            '[[features.mcp.servers]]\nname = "a"\ntype = "sse"\nurl = "http://x/sse"\n'
            "[features.mcp.user_servers]\nenabled = true\n",
            True,
        ),
        ("[features.mcp.streamable-http]\nenabled = false\n", False),
    ],
)
def test_user_url_servers_follow_chainlits_schema(extra: str, allowed: bool) -> None:
    mcp = _config("[features.mcp]\nenabled = true\n[features.mcp.sse]\nenabled = false\n" + extra)
    assert user_urls_allowed(mcp.features.mcp) is allowed
    spec = spec_from_body(
        _body(name="mine", clientType="streamable-http", url="http://127.0.0.1:9/mcp"),
        mcp.features.mcp,
    )
    if allowed:
        check_spec(mcp.features.mcp, spec)
    else:
        with pytest.raises(McpRefused, match=r"disabled|does not let users"):
            check_spec(mcp.features.mcp, spec)
