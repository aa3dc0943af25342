"""Ports for local servers: free now, and not one an outgoing connection takes next."""

from __future__ import annotations

import secrets
import socket
from pathlib import Path

__all__ = ("free_port",)

# Ports this process handed out: the kernel may offer a port again as soon as its probe
# socket closes, before the process meant to listen on it has started.
_HANDED_OUT: set[int] = set()
# Where listening ports are drawn from when the kernel's ephemeral range is known.
_LISTEN_FLOOR = 10000
_EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")


def _below_ephemeral() -> range:
    """Ports the kernel never gives an outgoing connection, which could otherwise take a
    port between its probe and the server's bind (many clients connect at once in tests)."""
    try:
        low = int(_EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return range(0)
    return range(_LISTEN_FLOOR, low) if low - _LISTEN_FLOOR >= 1000 else range(0)


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A port nothing listens on now, and one this process has not handed out before.

    Drawn at random (not from ``random``, which tests may seed alike in every process)
    below the ephemeral range where there is one; else the kernel's pick."""
    ports = _below_ephemeral()
    for _ in range(200 if ports else 0):
        port = ports[secrets.randbelow(len(ports))]
        if port not in _HANDED_OUT and _bindable(port):
            _HANDED_OUT.add(port)
            return port
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            picked: int = sock.getsockname()[1]
        if picked not in _HANDED_OUT:
            _HANDED_OUT.add(picked)
            return picked
