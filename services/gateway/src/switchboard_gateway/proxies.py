"""Who the client is when the gateway sits behind proxies it trusts.

``X-Forwarded-*`` headers are anyone's to write, so they count only when the
peer that sent the request is a configured proxy (``SWITCHBOARD_TRUSTED_PROXIES``).
The client address is then the right-most ``X-Forwarded-For`` hop that is not a
trusted proxy itself: hops to its left were written by the client and prove
nothing. With no trusted proxies the peer address is the client, whatever the
headers say, so rotating ``X-Forwarded-For`` cannot dodge per-address limits.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ("ForwardedHeaders", "TrustedProxies")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_HOST = re.compile(r"^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$")


class TrustedProxies:
    """A set of proxy addresses and networks (``10.0.0.5``, ``10.42.0.0/16``, ``::1``)."""

    def __init__(self, entries: Iterable[str] = ()) -> None:
        self.networks: tuple[Network, ...] = tuple(
            ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip()
        )

    def __bool__(self) -> bool:
        return bool(self.networks)

    def __contains__(self, address: object) -> bool:
        if not isinstance(address, str):
            return False
        try:
            ip = ipaddress.ip_address(_strip_port(address))
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return any(ip in network for network in self.networks)

    def client(self, peer: str, forwarded_for: str) -> str:
        """The first hop, from the right, that is not a trusted proxy."""
        hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
        client = peer
        for hop in reversed(hops):
            client = _strip_port(hop)
            if client not in self:
                break
        return client


def _strip_port(hop: str) -> str:
    """``1.2.3.4:5678`` → ``1.2.3.4``, ``[::1]:80`` → ``::1``; anything else unchanged."""
    if hop.startswith("["):
        end = hop.find("]")
        return hop[1:end] if end > 0 else hop
    if hop.count(":") == 1:
        return hop.split(":", 1)[0]
    return hop


def _last_value(values: list[bytes]) -> str | None:
    """The value the nearest proxy wrote: the last one of a comma-joined list."""
    if not values:
        return None
    joined = ",".join(value.decode("latin-1") for value in values)
    last = joined.rsplit(",", 1)[-1].strip()
    return last or None


class ForwardedHeaders:
    """ASGI middleware: client address, scheme and host as the trusted proxy saw them."""

    def __init__(self, app: ASGIApp, trusted: TrustedProxies) -> None:
        self.app = app
        self.trusted = trusted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and self.trusted:
            peer = scope.get("client")
            if peer and peer[0] in self.trusted:
                scope = self._rewrite(scope, peer[0])
        await self.app(scope, receive, send)

    def _rewrite(self, scope: Scope, peer: str) -> Scope:
        found: dict[bytes, list[bytes]] = {}
        for name, value in scope["headers"]:
            if name in (b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-host"):
                found.setdefault(name, []).append(value)
        if not found:
            return scope
        scope = dict(scope)
        forwarded_for = found.get(b"x-forwarded-for")
        if forwarded_for:
            joined = ",".join(value.decode("latin-1") for value in forwarded_for)
            scope["client"] = (self.trusted.client(peer, joined), 0)
        proto = _last_value(found.get(b"x-forwarded-proto", []))
        if proto in ("http", "https"):
            websocket = scope["type"] == "websocket"
            scope["scheme"] = proto.replace("http", "ws") if websocket else proto
        host = _last_value(found.get(b"x-forwarded-host", []))
        if host and _HOST.match(host):
            headers: list[Any] = [(k, v) for k, v in scope["headers"] if k != b"host"]
            headers.append((b"host", host.encode("latin-1")))
            scope["headers"] = headers
        return scope
