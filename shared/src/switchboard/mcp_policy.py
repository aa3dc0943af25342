"""Which MCP connections a session may open, judged from ``[features.mcp]``.

The gateway checks a request before queueing it and the worker checks the spec
again before opening it (a worker never trusts that the gateway ran the same
config). One function builds the spec, one judges it; both raise ``McpRefused``
with the message the client is shown.
"""

from __future__ import annotations

import re
import shlex
from urllib.parse import unquote, urlsplit

from pydantic import ValidationError

from switchboard.config import McpConfig
from switchboard.mcp import HttpMcpConnection, SseMcpConnection, StdioMcpConnection
from switchboard.schema.mcp import McpConnectBody, McpSpec

__all__ = (
    "DISABLED",
    "McpRefused",
    "check_spec",
    "configured_specs",
    "spec_from_body",
    "url_allowed",
    "user_urls_allowed",
)

DISABLED = "This app does not support MCP."
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


class McpRefused(ValueError):
    """A connection the configuration does not allow, or a malformed one (HTTP 400)."""


def _stdio_spec(name: str, full_command: str, env: dict[str, str]) -> McpSpec:
    try:
        words = shlex.split(full_command)
    except ValueError as exc:
        raise McpRefused(f"Invalid MCP command: {exc}.") from exc
    env = dict(env)
    while words and _ASSIGNMENT.match(words[0]):
        key, _, value = words.pop(0).partition("=")
        env[key] = value
    if not words:
        raise McpRefused("Invalid MCP command: no executable.")
    return McpSpec(
        connection=StdioMcpConnection(name=name, command=words[0], args=words[1:]), env=env
    )


def _url_spec(
    name: str, client_type: str, url: str | None, headers: dict[str, str] | None
) -> McpSpec:
    if not url:
        raise McpRefused(f"A {client_type} MCP server needs a url.")
    if not url.startswith(("http://", "https://")):
        raise McpRefused("The MCP server url must start with http:// or https://.")
    connection: SseMcpConnection | HttpMcpConnection
    if client_type == "sse":
        connection = SseMcpConnection(name=name, url=url, headers=headers)
    else:
        connection = HttpMcpConnection(name=name, url=url, headers=headers)
    return McpSpec(connection=connection)


def _key(name: str) -> str:
    return name.strip().casefold()


def configured_specs(config: McpConfig) -> dict[str, McpSpec]:
    """``[[features.mcp.servers]]`` as specs, by name; a malformed entry raises ``McpRefused``.

    Entries are ``{name, type = "stdio", command, env?}`` or ``{name, type = "sse" |
    "streamable-http", url, headers?}``; names are unique, compared case-insensitively.
    """
    specs: dict[str, McpSpec] = {}
    seen: set[str] = set()
    for index, entry in enumerate(config.servers):
        name = str(entry.get("name") or "").strip()
        kind = entry.get("type", "stdio")
        where = f"features.mcp.servers[{index}]"
        if not name or len(name) > 64:
            raise McpRefused(f"{where}: a server needs a name of 1 to 64 characters.")
        if _key(name) in seen:
            raise McpRefused(f"{where}: the name {name!r} is used twice.")
        seen.add(_key(name))
        try:
            if kind == "stdio":
                command = str(entry.get("command") or "")
                if _ASSIGNMENT.match(command):
                    raise McpRefused(f"{where}: put environment variables in env, not command.")
                spec = _stdio_spec(name, command, dict(entry.get("env") or {}))
            elif kind in ("sse", "streamable-http"):
                spec = _url_spec(name, kind, entry.get("url"), entry.get("headers"))
            else:
                raise McpRefused(f"{where}: unknown type {kind!r}.")
        except ValidationError as exc:
            raise McpRefused(f"{where}: {exc.errors()[0]['msg']}.") from exc
        specs[name] = spec
    return specs


def spec_from_body(body: McpConnectBody, config: McpConfig | None = None) -> McpSpec:
    """Chainlit's payload as a spec: ``fullCommand`` split, leading ``KEY=value`` as env.

    ``{sessionId, name}`` alone names a configured server; a user-provided server may
    not take a configured server's name.
    """
    configured = configured_specs(config) if config is not None else {}
    by_key = {_key(name): spec for name, spec in configured.items()}
    if body.clientType is None and not body.fullCommand and not body.url:
        found = by_key.get(_key(body.name))
        if found is None:
            raise McpRefused(f"No MCP server named {body.name!r} is configured.")
        return found
    if _key(body.name) in by_key:
        raise McpRefused(f"The name {body.name!r} belongs to a configured MCP server.")
    if body.clientType in (None, "stdio"):
        if not body.fullCommand:
            raise McpRefused("A stdio MCP server needs fullCommand.")
        return _stdio_spec(body.name, body.fullCommand, dict(body.env or {}))
    return _url_spec(body.name, body.clientType, body.url, body.headers)


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin_and_path(url: str) -> tuple[tuple[str, str, int], str] | None:
    """(scheme, host, port) and the path of ``url``; None when it is ambiguous."""
    try:
        parts = urlsplit(url)
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme.lower(), 0)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname or parts.username or parts.password:
        return None
    path = parts.path or "/"
    # Encoded separators or dots, backslashes, dot segments: the server may read
    # such a path differently from a prefix comparison, so it matches nothing.
    lowered = path.lower()
    if any(code in lowered for code in ("%2f", "%5c", "%2e")) or "\\" in path:
        return None
    if any(segment in (".", "..") for segment in path.split("/")):
        return None
    decoded = unquote(path)
    return (scheme, parts.hostname.lower().rstrip("."), port), decoded


def url_allowed(url: str, allowed: list[str]) -> bool:
    """Whether ``url`` falls under one of the ``allowed`` prefixes.

    Same scheme, host and port; the allowed path is the URL's path or one of its
    parents (``/mcp`` allows ``/mcp`` and ``/mcp/x``, not ``/mcpx``).
    """
    target = _origin_and_path(url)
    if target is None:
        return False
    origin, path = target
    for prefix in allowed:
        rule = _origin_and_path(prefix)
        if rule is None or rule[0] != origin:
            continue
        base = rule[1].rstrip("/")
        if not base or path == base or path.startswith(base + "/"):
            return True
    return False


def user_urls_allowed(config: McpConfig) -> bool:
    """Whether users may add SSE / streamable-HTTP servers at all (see ``McpUserServers``)."""
    if not config.enabled or not (config.sse.enabled or config.streamable_http.enabled):
        return False
    if config.user_servers.enabled is not None:
        return config.user_servers.enabled
    return not config.servers  # Chainlit 2.12's schema defaults to no user servers


def check_spec(config: McpConfig, spec: McpSpec) -> None:
    """Raise ``McpRefused`` unless ``config`` allows opening ``spec``."""
    if not config.enabled:
        raise McpRefused(DISABLED)
    # A server the operator configured opens as configured, whatever users may add.
    if configured_specs(config).get(spec.name) == spec:
        return
    conn = spec.connection
    if isinstance(conn, StdioMcpConnection):
        if not config.stdio.enabled:
            raise McpRefused("stdio MCP servers are disabled in this app.")
        # The first word exactly as configured: a bare name is looked up on the
        # worker's PATH, a path must match in full (no basename tricks).
        if conn.command not in config.stdio.allowed_executables:
            raise McpRefused(
                f"The executable {conn.command!r} is not allowed for stdio MCP servers "
                "(features.mcp.stdio.allowed_executables)."
            )
        return
    transport = config.sse if isinstance(conn, SseMcpConnection) else config.streamable_http
    if not transport.enabled:
        raise McpRefused(f"{conn.clientType} MCP servers are disabled in this app.")
    if not user_urls_allowed(config):
        raise McpRefused(
            "This app does not let users add MCP servers (features.mcp.user_servers.enabled)."
        )
    allowed = config.user_servers.allowed_urls
    if allowed is not None and not url_allowed(conn.url, allowed):
        raise McpRefused(
            f"The MCP server url {conn.url!r} is not allowed "
            "(features.mcp.user_servers.allowed_urls)."
        )
